/** Input limits and rate limits of the API (docs/ARCHITECTURE.md, "Limits"). */

export const INPUT_LIMITS = {
  /**
   * The shape of every username, older accounts' included (PARLEY_ADMINS may name them); a new
   * one also needs a letter or digit (schemas.ts, `username`).
   */
  usernamePattern: /^[a-z0-9_.-]{3,32}$/,
  passwordMin: 8,
  passwordMax: 128,
  displayNameMax: 64,
  titleMax: 100,
  bodyMax: 4000,
  clientIdMax: 64,
  groupSizeMax: 256,
  searchMax: 64,
  pageMax: 100,
  userSearchMax: 20,
  /** users.byIds: ids per call (a page of history names at most 100 senders). */
  userLookupMax: 100,
  /** conversations.setMuted: a mute for a while lasts a minute to a year (longer: until unmuted). */
  muteSecondsMin: 60,
  muteSecondsMax: 366 * 24 * 60 * 60,
} as const;

/**
 * Live subscriptions one connection may hold at once (a WebSocket's context lives as long as
 * the socket). Each holds a bus listener, a buffer and a loop on the server; the web app
 * needs a handful (the inbox, and three per open conversation).
 */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

/**
 * Queries and mutations one connection may have running at once: as many as one HTTP batch
 * may hold (the server's MAX_BATCH_SIZE), so only a WebSocket flooding calls meets it. Without
 * it, 70,000 calls in 100 frames from one socket cost 1.5 GB and held others up for 30 s.
 */
export const MAX_CALLS_IN_FLIGHT_PER_CONNECTION = 100;

export interface RateRule {
  /** How many hits the window allows. */
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  conversationCreate: RateRule;
  messageSend: RateRule;
  /**
   * setTyping(true), per user and conversation: a burst, not a spacing. A typist says
   * "typing" when they start, every few seconds while they go on (the server forgets after
   * TYPING_TTL_MS), and again right after each send (a send clears it). The web app keeps
   * below this (TYPING_BUDGET in apps/web/src/typing.ts).
   */
  setTyping: RateRule;
  /**
   * users.search: a search that few users match, or of two letters, reads every user
   * (docs/ARCHITECTURE.md, "Search"); the web app asks at most five times a second while
   * someone types.
   */
  userSearch: RateRule;
  /**
   * users.byIds: cheap (key probes), but ids are consecutive, so it could list every user
   * faster than users.search does; the web app asks once per set of senders it cannot name.
   */
  userLookup: RateRule;
  /** Sign-in attempts for one username from one address. */
  login: RateRule;
  /** Sign-in attempts from one address, whatever the username (password spraying). */
  loginPerIp: RateRule;
  /** Sign-in attempts for one username, from anywhere (guessing from many addresses). */
  loginPerUsername: RateRule;
  register: RateRule;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  conversationCreate: { limit: 20, windowMs: 60 * 60_000 },
  messageSend: { limit: 30, windowMs: 10_000 },
  setTyping: { limit: 5, windowMs: 5_000 },
  userSearch: { limit: 60, windowMs: 10_000 },
  userLookup: { limit: 30, windowMs: 10_000 },
  login: { limit: 10, windowMs: 60_000 },
  loginPerIp: { limit: 100, windowMs: 10 * 60_000 },
  // Caps guessing at one account from many addresses at 300 an hour. The price: a guesser
  // can keep that account's sign-in resting (its signed-in sessions carry on).
  loginPerUsername: { limit: 50, windowMs: 10 * 60_000 },
  register: { limit: 20, windowMs: 60 * 60_000 },
};
