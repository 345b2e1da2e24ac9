/**
 * Sent by the console's client on requests the user did not cause (polling, badges, auto-refresh):
 * such a request is answered but does not extend the session, so an open tab alone does not keep
 * it alive.
 */
export const BACKGROUND_REQUEST_HEADER = 'x-conveyor-background';

/** A request counts as the user's own when they pressed a key or the pointer within this long before it. */
export const USER_ACTIVITY_WINDOW_MS = 30_000;
