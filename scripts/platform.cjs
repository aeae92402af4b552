'use strict';
// The platform part of the addon's file name, in @napi-rs/cli's spelling (linux-x64-gnu, darwin-arm64, ...).
function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}
module.exports = { platformSuffix };
