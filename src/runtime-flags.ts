/**
 * The V8 flags the server runs with: `npm start` (package.json) and the bench pass them to node.
 *
 * --max-old-space-size=768: a ceiling well above what any request needs (the heap holds about
 * 75 MB live after start), given so that V8 sizes the heap's growth for a bounded heap. Without
 * it, on a machine with a lot of memory V8 lets the old generation grow to about four times the
 * live heap between full collections: under ten concurrent JSON requests the server's resident
 * memory rose from 235 MB to 410–460 MB of mostly garbage; with it, it stayed under 260 MB at the
 * same CPU per request (issue 9: ≤ 350 MB). A test checks package.json's start script carries these.
 */
export const SERVER_NODE_FLAGS = ['--max-old-space-size=768'];
