package auth

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
)

// sessionReturn is the session key of the page Required sent a visitor
// from to log in, where FormLogin's login returns (see returnTarget).
const sessionReturn = "auth.return"

// FormConfig configures a login form. The zero value logs in by a POST to
// /login, out by a POST to /logout, and accepts nobody.
type FormConfig struct {
	// LoginPath is the full request path (context path included) whose
	// POST logs in. Empty means "/login". Other methods pass through, so
	// the program's own handler can serve the form for GET.
	LoginPath string
	// LogoutPath is the full request path whose POST logs out. Empty
	// means "/logout". Only POST logs out, so that a link or an image on
	// another site cannot.
	LogoutPath string

	// UserField and PasswordField name the fields of the login form's
	// URL-encoded body. Empty means "user" and "password". A form
	// without one of them is answered 400 (ErrLoginFields), not taken
	// for a wrong password.
	UserField, PasswordField string

	// Check decides whether password is user's and returns who logs in;
	// a User with an empty Name gets user as its Name. It runs in the
	// request's serialized task and may block unless the chain is
	// declared non-blocking; ctx is the request's. Compare secrets in
	// constant time (Users does). Nil means every login fails.
	Check func(ctx context.Context, user, password string) (User, bool)

	// Target is where a successful login is redirected (303 See Other),
	// unless Required (with a LoginURL) sent the visitor to log in from a
	// page it asked for with GET or HEAD: then that page, as a servlet
	// container's form login returns to it. Empty means "/".
	Target string
	// LogoutTarget is where a logout is redirected (303). Empty means
	// "/".
	LogoutTarget string

	// Failure answers a failed login, with the status already set to 401
	// and the challenge in WWW-Authenticate: typically the login form
	// again, with a message. Nil means the filter returns a 401
	// api.StatusError whose cause is ErrBadCredentials.
	Failure api.Handler
	// Realm is the realm of the failed login's challenge,
	// `Form realm="..."`. Empty means DefaultRealm.
	Realm string
}

type form struct {
	loginPath, logoutPath string
	userField, passField  string
	check                 func(ctx context.Context, user, password string) (User, bool)
	target, logoutTarget  string
	failure               api.Handler
	challenge             string
}

// FormLogin returns the filter of a form login kept in the session of
// package session, whose Manager must run before it (session.Of and
// session.Peek panic otherwise, and so does UserOf behind it).
//
// On every request it makes the session's user, if there is one, what
// UserOf returns in the rest of the chain, as SessionUser does (a program
// that logs in with a handler of its own, not a form, maps SessionUser
// instead); Required then guards the paths that need one. The user, and
// the page Required sends a visitor to log in from, are kept in the
// session the filter sees, the Manager's in front of it: a Manager of an
// area's own mapped further in (on "/admin/*") gives the requests it
// filters a session of their own, which holds neither. A POST to
// LoginPath is answered by the filter: the credentials of the URL-encoded
// body go to Check (a body of another type is answered 415, ErrFormType:
// its fields would not be read); on success Login puts the user in the
// session (moving it to a new ID first, against session fixation, and
// starting an empty one if it held another user) and the
// answer is a 303 to Target; on failure, a 401 with
// `WWW-Authenticate: Form realm="..."`, rendered by Failure if set, and the
// session is left as it was. A POST to LogoutPath ends the session
// (Logout) and is answered with a 303 to LogoutTarget.
//
// The login POST is itself a cross-site request forgery target (an
// attacker logs the victim into the attacker's account): put filters/csrf
// in front of it, as in front of every handler that acts on the session.
//
// Goroutines: call FormLogin at setup time; the filter is safe for
// concurrent use, and each call of its Filter method comes from the
// request's serialized task.
func FormLogin(cfg FormConfig) api.Filter {
	f := &form{
		loginPath: or(cfg.LoginPath, "/login"), logoutPath: or(cfg.LogoutPath, "/logout"),
		userField: or(cfg.UserField, "user"), passField: or(cfg.PasswordField, "password"),
		check:  cfg.Check,
		target: or(cfg.Target, "/"), logoutTarget: or(cfg.LogoutTarget, "/"),
		failure:   cfg.Failure,
		challenge: "Form " + realmParam(cfg.Realm),
	}
	return f
}

func or(s, zero string) string {
	if s == "" {
		return zero
	}
	return s
}

func (f *form) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if r.Method() == http.MethodPost {
		switch r.Path() {
		case f.loginPath:
			return f.login(w, r)
		case f.logoutPath:
			if err := Logout(r); err != nil {
				return err
			}
			return api.Redirect(w, r, f.logoutTarget, http.StatusSeeOther)
		}
	}
	return next.Next(w, withSessionUser(r, true))
}

func (f *form) login(w api.Response, r *api.Request) error {
	if ct := r.Header().Get("Content-Type"); !api.IsFormType(ct) {
		// Its fields would not be read, and the login refused as if the
		// password were wrong.
		w.Header().Set("Accept-Post", "application/x-www-form-urlencoded")
		return &api.StatusError{Code: http.StatusUnsupportedMediaType, Err: fmt.Errorf("%w, not %q", ErrFormType, ct)}
	}
	vals, err := r.PostForm()
	if api.StatusOf(err) == http.StatusBadRequest {
		// The parser's error quotes the escape it could not decode,
		// which may be part of the password: the 400, without it.
		return &api.StatusError{Code: http.StatusBadRequest, Err: ErrMalformedForm}
	}
	if err != nil {
		return err // a body too large or unreadable: the container's 413 or 500
	}
	for _, fd := range [...]struct{ name, option string }{{f.userField, "UserField"}, {f.passField, "PasswordField"}} {
		if !vals.Has(fd.name) {
			// Told apart from a wrong password, so that a form whose
			// inputs are named otherwise is not taken for a bad login.
			return &api.StatusError{Code: http.StatusBadRequest, Err: fmt.Errorf("%w: %q (FormConfig.%s)", ErrLoginFields, fd.name, fd.option)}
		}
	}
	user, password := vals.Get(f.userField), vals.Get(f.passField)
	var u User
	ok := user != "" && f.check != nil
	if ok {
		u, ok = f.check(r.Context(), user, password)
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", f.challenge)
		if f.failure == nil {
			return &api.StatusError{Code: http.StatusUnauthorized, Err: ErrBadCredentials}
		}
		if err := w.SetStatus(http.StatusUnauthorized); err != nil {
			return err
		}
		return f.failure.Serve(w, r)
	}
	if u.Name == "" {
		u.Name = user
	}
	if err := Login(r, u); err != nil {
		return err
	}
	target := f.target
	s := session.Of(r)
	if page, ok := s.Get(sessionReturn); ok {
		s.Delete(sessionReturn)
		if localPath(page) {
			target = page
		}
	}
	return api.Redirect(w, r, target, http.StatusSeeOther)
}

// maxReturnBytes bounds the page kept to return to after a login: a
// longer target is not kept (the login then goes to Target), so that a
// visitor cannot make the session store hold kilobytes for each anonymous
// page view.
const maxReturnBytes = 2048

// returnTarget returns the target of r to come back to after a login: its
// path and query, as the client sent them (the context path included). It
// returns "" for a method that a redirect would not repeat, a target too
// long, and one that is not a path of this server.
func returnTarget(r *api.Request) string {
	if ex := r.Exchange(); ex != nil {
		if cr := ex.Request(); cr != nil {
			// The client's request, not the one Required sees: the
			// target of a forward (a view the page renders, which
			// alone may answer otherwise or not at all), or of an
			// error page's forward, which is served as a GET whatever
			// failed: a POST's error page would be kept as the page.
			r = cr
		}
	}
	if m := r.Method(); m != http.MethodGet && m != http.MethodHead {
		return "" // the redirect after the login is a GET: a POST's body is gone
	}
	t := r.Target()
	if len(t) > maxReturnBytes || !localPath(t) {
		return "" // an absolute-form target (from a proxy), or "*"
	}
	return t
}

// localPath reports whether a redirect to t stays on this server: a path
// that begins with one slash. "//host/x" (a valid path, which a browser
// reads as another host) and "/\host" (which browsers read as "//") do
// not, nor does a target with a space or a control byte: browsers drop
// tabs and newlines from a URL, so "/\t/host" would be "//host".
func localPath(t string) bool {
	if len(t) == 0 || t[0] != '/' || len(t) > 1 && (t[1] == '/' || t[1] == '\\') {
		return false
	}
	for i := range len(t) {
		if t[i] <= ' ' || t[i] == 0x7f {
			return false
		}
	}
	return true
}
