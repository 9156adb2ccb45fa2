// Page-wide keyboard shortcuts (the result viewer's + - 0 1 and arrows) must not steal keys from
// a control that uses them itself: text fields, sliders, tabs, menus, an open dialog.
const OWN_KEYS =
  'input, textarea, select, [contenteditable="true"], [role="slider"], [role="tab"], [role="option"], [role="menuitem"], [role="menuitemradio"], [role="combobox"], [role="listbox"], [role="dialog"], [role="alertdialog"]';

/** True when a keydown is free for a page shortcut: no modifier, and no control wants the key. */
export function isShortcutEvent(event: KeyboardEvent): boolean {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return false;
  const target = event.target;
  return !(target instanceof Element && target.closest(OWN_KEYS));
}
