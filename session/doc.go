// Package session keeps per-client state across requests, named by an
// HttpOnly cookie, as the Servlet API's HttpSession does.
//
// A Manager (New) is an api.Filter: it loads the session the request's
// cookie names and hands the handler a Request that carries it, which Of
// returns (the innermost Manager's, where one is mapped inside another:
// an area's own, with its own cookie). A request without a valid cookie
// gets a new, empty session, stored only once it is written; an ID the
// client made up, or one the store no longer knows, is never adopted. Of several cookies of the name
// (a browser sends one per matching Path, the narrowest first), the first
// that names a live session is the one used. Values are strings; RenewID
// moves a session to a fresh ID at login, Invalidate ends it at logout.
// Session's documentation gives the rules: when the cookie is set (at the
// moment the session is created, renewed or invalidated, so before the
// response commits, with a Cache-Control directive that keeps shared
// caches from reusing it), when changes reach the store (when the dispatch
// returns, and when an async request completes), and what two concurrent
// requests of one session do (optimistic saves; different keys both
// survive, one key is last-writer-wins).
//
// The package owns the Manager, the Session a request sees, the Store
// interface that keeps sessions by ID (and RevisionDeleter, which a Store
// implements to make RenewID atomic), and MemoryStore, the bounded
// in-process Store a zero Config uses. Package session/natskv keeps them
// in NATS JetStream key-value, shared by several instances.
//
// Package session imports api, async (to save when a request completes)
// and continuation (to learn whether a dispatch suspended).
package session
