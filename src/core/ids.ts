/**
 * The form of MGN's ids, in one place: a source server id is `s-` and 17 letters or digits (MGN's own are
 * lowercase hex, e.g. s-13a5b49c3810fa449; docs/mgn-api notes). Contracts, wave files, MGN's import file, the
 * CLI and the local cloud all check it here.
 */

export const SERVER_ID_SOURCE = 's-[0-9a-zA-Z]{17}';
export const SERVER_ID = new RegExp(`^${SERVER_ID_SOURCE}$`);
export const SERVER_ID_EXAMPLE = 's-1234567890abcdef0';

export const isServerId = (s: string): boolean => SERVER_ID.test(s);

/** An AWS account id (MGN's accountID): 12 digits. */
export const ACCOUNT_ID = /^[0-9]{12}$/;
