{
  # The addon is a Rust cdylib (native/); node-gyp only drives cargo so that a plain
  # `npm install` builds it. The stamp lives in build/, which `node-gyp rebuild` wipes,
  # so cargo always gets to decide what is stale.
  "targets": [
    {
      "target_name": "livekit_datatrack",
      "type": "none",
      "actions": [
        {
          "action_name": "cargo_build",
          "inputs": ["native/Cargo.toml"],
          "outputs": ["<(PRODUCT_DIR)/cargo.stamp"],
          "action": ["node", "scripts/build-native.cjs", "--stamp", "<(PRODUCT_DIR)/cargo.stamp"]
        }
      ]
    }
  ]
}
