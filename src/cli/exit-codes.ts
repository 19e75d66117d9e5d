/** The work ran and found problems (zone errors, a failed check). */
export const EXIT_PROBLEMS = 1;
/** The command line or configuration was wrong. */
export const EXIT_USAGE = 2;
/** No answer from the server: nothing listens there, or it did not answer in time. */
export const EXIT_UNREACHABLE = 3;
