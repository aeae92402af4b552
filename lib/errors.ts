/**
 * Base class of every error this package throws on purpose. `reason` is a string-enum value so
 * callers can branch on it without parsing messages; subclasses narrow its type.
 */
export class LiveKitError<R extends string = string> extends Error {
  readonly reason: R;

  constructor(reason: R, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    // Keeps `err.name` meaningful in logs for every subclass without each one repeating it.
    this.name = new.target.name;
  }
}
