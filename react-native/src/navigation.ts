/**
 * Screen names from the app's router. React Navigation: pass the container ref; every state
 * change reports the focused route. expo-router: call `useRejourneyExpoRouter(usePathname)`
 * (or report the pathname yourself) — the pathname is the screen.
 */
export interface NavigationContainerLike {
  getCurrentRoute(): { name: string } | undefined;
  addListener(event: "state", cb: () => void): () => void;
}

/** Follows a React Navigation container; returns the unsubscribe function. */
export function followNavigation(nav: NavigationContainerLike, report: (screen: string) => void): () => void {
  const current = () => {
    try {
      const route = nav.getCurrentRoute();
      if (route?.name) report(route.name);
    } catch {
      // A container that is not ready yet reports on its first state change.
    }
  };
  current();
  return nav.addListener("state", current);
}

/** An expo-router pathname as a screen name: dynamic segments stay as the app's path shows them. */
export function expoRouterScreen(pathname: string | null | undefined): string | null {
  if (typeof pathname !== "string" || pathname === "") return null;
  return pathname;
}
