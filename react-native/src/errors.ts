/**
 * JS errors as faults. React Native routes uncaught errors through `ErrorUtils`' global
 * handler; we report each (with its stack, linked to the session by the native side) and
 * then call the handler that was there before, so the app's behaviour (red box, crash
 * reporter, termination on fatal) is unchanged.
 */
export type GlobalHandler = (error: unknown, isFatal?: boolean) => void;

export interface ErrorUtilsLike {
  getGlobalHandler(): GlobalHandler | undefined;
  setGlobalHandler(handler: GlobalHandler): void;
}

/** What a thrown value says about itself, whatever it is. */
export function describeError(error: unknown): { name: string; message: string; stack: string } {
  if (error instanceof Error) {
    return { name: error.name || "Error", message: String(error.message ?? ""), stack: String(error.stack ?? "") };
  }
  let message: string;
  try {
    message = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  } catch {
    message = String(error);
  }
  return { name: "NonError", message, stack: "" };
}

/**
 * Installs `report` in front of the current global handler. Returns the uninstall function
 * (which puts the previous handler back). A throwing `report` never hides the app's error.
 */
export function installErrorHandler(
  errorUtils: ErrorUtilsLike | undefined,
  report: (e: { name: string; message: string; stack: string }, fatal: boolean) => void,
): () => void {
  if (!errorUtils || typeof errorUtils.setGlobalHandler !== "function") return () => {};
  const previous = errorUtils.getGlobalHandler?.();
  const handler: GlobalHandler = (error, isFatal) => {
    try {
      report(describeError(error), Boolean(isFatal));
    } catch {
      // Reporting must never replace the app's error with ours.
    }
    previous?.(error, isFatal);
  };
  errorUtils.setGlobalHandler(handler);
  return () => {
    if (previous) errorUtils.setGlobalHandler(previous);
  };
}
