// Router state shared with the views: the hash the app is showing (views that rename their own URL, like a
// strategy saved under a new name, update it here so the unsaved-changes guard restores the right one).
export const router = { currentHash: location.hash };

export function replaceRoute(hash) {
  history.replaceState(null, "", hash);
  router.currentHash = hash;
}
