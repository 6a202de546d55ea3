package auth

import "errors"

// Errors of package auth. The filters answer with an api.StatusError whose
// cause is one of them, so an error page may match them with errors.Is
// (container's ErrorPageFor) and a client reads which one it was.
var (
	// ErrNoCredentials: the request carried no credentials of the
	// filter's scheme (401).
	ErrNoCredentials = errors.New("auth: credentials required")

	// ErrBadCredentials: the credentials were malformed or the check
	// refused them (401).
	ErrBadCredentials = errors.New("auth: invalid credentials")

	// ErrInvalidToken: a bearer token was refused (401 with
	// error="invalid_token").
	ErrInvalidToken = errors.New("auth: invalid token")

	// ErrCheckFailed: a bearer token's Check could not be made (it
	// timed out, or could not reach its token store), which says
	// nothing of the token (503, without error="invalid_token").
	ErrCheckFailed = errors.New("auth: the token could not be checked")

	// ErrMalformedToken: the Authorization field names the Bearer scheme
	// but carries no well-formed token (400 with
	// error="invalid_request").
	ErrMalformedToken = errors.New("auth: malformed bearer token")

	// ErrAuthorizationRepeated: the request carried more than one
	// Authorization field (400, without a challenge). The field has no
	// list form (RFC 9110 §11.6.2), so a second one is no alternative
	// but a smuggled credential: a proxy in front that checked one and
	// a filter that used the other would disagree on who is asking.
	ErrAuthorizationRepeated = errors.New("auth: the Authorization field appears more than once")

	// ErrFormType: a login was posted in another format than the
	// URL-encoded form FormLogin reads (415): a multipart form, say,
	// whose fields it would not see.
	ErrFormType = errors.New("auth: the login form must be sent as application/x-www-form-urlencoded")

	// ErrMalformedForm: a login body that does not decode as a form
	// (400). It stands for the parser's error, which quotes the bytes
	// it could not decode: part of the password, maybe.
	ErrMalformedForm = errors.New("auth: malformed login form")

	// ErrLoginFields: a login form that lacks the user or the password
	// field altogether (400), which a browser never sends for a form
	// that has both inputs: the form's inputs are named otherwise than
	// FormConfig.UserField and PasswordField say, or a client sends its
	// own names. The error names the field the filter looked for. A
	// field sent empty is a login refused (ErrBadCredentials).
	ErrLoginFields = errors.New("auth: the login form lacks a field")

	// ErrForbidden: the user lacks every role the path requires (403).
	ErrForbidden = errors.New("auth: forbidden")
)
