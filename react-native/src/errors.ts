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
 * How long a fatal error waits for its report to be on disk before the app's own handler runs
 * (which terminates a release app). The native side bounds the write itself (1 s, a total);
 * this bounds the wait for its answer, so a native side that never answers cannot keep the
 * app's handler from running.
 */
export const FATAL_REPORT_WAIT_MS = 1500;

/**
 * Installs `report` in front of the current global handler. Returns the uninstall function
 * (which puts the previous handler back). A throwing `report` never hides the app's error.
 * A fatal error's report may return a promise (the native crash write): the previous handler
 * runs once it settles, or after `FATAL_REPORT_WAIT_MS`, so the crash is on disk before the
 * app's handler ends the process. Non-fatal errors reach the previous handler at once.
 */
export function installErrorHandler(
  errorUtils: ErrorUtilsLike | undefined,
  report: (e: { name: string; message: string; stack: string }, fatal: boolean) => unknown,
  waitMs: number = FATAL_REPORT_WAIT_MS,
): () => void {
  if (!errorUtils || typeof errorUtils.setGlobalHandler !== "function") return () => {};
  const previous = errorUtils.getGlobalHandler?.();
  const handler: GlobalHandler = (error, isFatal) => {
    let pending: unknown;
    try {
      pending = report(describeError(error), Boolean(isFatal));
    } catch {
      // Reporting must never replace the app's error with ours.
    }
    const chain = () => previous?.(error, isFatal);
    if (!isFatal || !isThenable(pending)) {
      chain();
      return;
    }
    let chained = false;
    const once = () => {
      if (chained) return;
      chained = true;
      clearTimeout(timer);
      chain();
    };
    const timer = setTimeout(once, waitMs);
    pending.then(once, once);
  };
  errorUtils.setGlobalHandler(handler);
  return () => {
    if (previous) errorUtils.setGlobalHandler(previous);
  };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  try {
    return v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";
  } catch {
    return false;
  }
}
