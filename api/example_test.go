package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
)

// Filters derive new requests; they never mutate the one they were given.
// The composed chain is an ordinary Handler: here a container serves it,
// driven through net/http/httptest as any http.Handler can be.
func ExampleCompose() {
	type userKey struct{}
	auth := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Header().Get("Authorization") == "" {
			return api.Error(http.StatusUnauthorized, "")
		}
		return next.Next(w, r.WithAttribute(userKey{}, "alice"))
	})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello %v", r.Attribute(userKey{}))
		return err
	}), auth)

	c := container.New()
	defer c.Shutdown(context.Background())
	c.Handle("/", h)

	for _, authorization := range []string{"x", ""} {
		req := httptest.NewRequest("GET", "/", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 200 hello alice
	// 401 401 Unauthorized
}

// A handler reads a cookie the client sent; a missing one is
// http.ErrNoCookie.
func ExampleRequest_Cookie() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		session, err := r.Cookie("session")
		if err != nil {
			return api.Error(http.StatusUnauthorized, err.Error())
		}
		_, err = fmt.Fprintf(w, "session %s", session.Value)
		return err
	})

	for _, cookie := range []string{"theme=dark; session=abc123", "theme=dark"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 200 session abc123
	// 401 401 Unauthorized: http: named cookie not present
}

// A browser sends one cookie per matching Path, the narrowest first:
// CookiesNamed returns them all, for a reader that must find the one it
// knows.
func ExampleRequest_CookiesNamed() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		for _, cookie := range r.CookiesNamed("cart") {
			fmt.Fprintln(w, cookie.Value)
		}
		return nil
	})

	req := httptest.NewRequest("GET", "/shop/", nil)
	req.Header.Set("Cookie", "cart=old; theme=dark; cart=current")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	fmt.Print(rec.Body)
	// Output:
	// old
	// current
}

// SetCookie adds a Set-Cookie field. Its error need not be checked for a
// cookie built from constants; it reports an invalid cookie, or a response
// already committed.
func ExampleSetCookie() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/login", func(w api.Response, r *api.Request) error {
		api.SetCookie(w, &http.Cookie{Name: "session", Value: "abc123", Path: "/", HttpOnly: true})
		if err := api.SetCookie(w, &http.Cookie{Name: "bad name", Value: "x"}); err != nil {
			fmt.Println(err)
		}
		_, err := w.WriteString("logged in")
		return err
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
	fmt.Println(rec.Code, rec.Header()["Set-Cookie"])
	// Output:
	// wharf: invalid cookie: http: invalid Cookie.Name
	// 200 [session=abc123; Path=/; HttpOnly]
}

// Form merges a URL-encoded body with the query string, body values first.
// Its errors are ready to return: a malformed body answers 400, one over
// the limit 413.
func ExampleRequest_Form() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/search", func(w api.Response, r *api.Request) error {
		form, err := r.Form()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "q=%q lang=%q", form["q"], form["lang"])
		return err
	})

	for _, body := range []string{"q=boats&lang=fr", "q=%zz"} {
		req := httptest.NewRequest("POST", "/search?lang=en", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 200 q=["boats"] lang=["fr" "en"]
	// 400 400 Bad Request: wharf: malformed form body: invalid URL escape "%zz"
}

// FormValue is the one-line form of Form for a single value: the body's
// first, else the query's, else "".
func ExampleRequest_FormValue() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/greet", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello %s from %s", r.FormValue("name"), r.FormValue("city"))
		return err
	})

	body := url.Values{"name": {"Ada"}}.Encode()
	req := httptest.NewRequest("POST", "/greet?name=Bob&city=London", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	fmt.Println(rec.Body)
	// Output:
	// hello Ada from London
}

// A container makes one Route per pattern it registers and maps each
// request it matches with Map: every Request the route maps shares it.
func ExampleRoute() {
	rt := api.NewRoute("/shop", "/items/{id}", api.MatchExact)
	m := rt.Map("/items/7", "", []api.Param{{Name: "id", Value: "7"}})
	head := &api.RequestHead{Method: "GET", Path: "/shop/items/7"}
	r := api.NewMappedRequest(context.Background(), head, m, nil)
	fmt.Println(r.ContextPath(), r.Mapping().Pattern, r.Mapping().Kind, r.PathInContext(), r.PathParam("id"))
	// Output: /shop /items/{id} exact /items/7 7
}

// cartKey is the attribute key of a lazily loaded cart.
type cartKey struct{}

// lazyCart loads the cart of the request it holds when someone asks. As
// an AttrDetacher, it loads it once more when the request is detached,
// so that the detached copy holds the cart, not the request.
type lazyCart struct{ r *api.Request }

func (l lazyCart) load() string {
	c, err := l.r.Cookie("user")
	if err != nil {
		return "no cart"
	}
	return "cart of " + c.Value
}

func (l lazyCart) DetachAttr() any { return l.load() }

// A filter attaches a value that stands for the request's state; what
// outlives the exchange (a WebSocket, say) detaches the request and finds
// the value as it stood then.
func ExampleAttrDetacher() {
	h := api.NewHeader(http.Header{"Cookie": {"user=ana"}})
	r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/ws", Header: h}, nil)
	r = r.WithAttribute(cartKey{}, lazyCart{r})

	d := r.Detach(context.Background())
	fmt.Println(d.Attribute(cartKey{}))
	// Output: cart of ana
}

// A response whose only header field is its type sets it with
// SetContentType: the container's Response then makes no header map.
func ExampleSetContentType() {
	c := container.New()
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		api.SetContentType(w, "text/plain; charset=utf-8")
		_, err := w.WriteString("hello")
		return err
	})
	defer c.Close()
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// text/plain; charset=utf-8
	// hello
}

// A connector hands over a parsed head as one run of bytes: the fields are
// views into it, kept with it in one allocation, their names made
// canonical in the copy.
func ExampleNewHeaderText() {
	raw := []byte("GET /hello HTTP/1.1\r\nhost: example.com\r\nAccept: */*\r\n\r\n")
	fields := [][2][]byte{
		{raw[21:25], raw[27:38]}, // host: example.com
		{raw[40:46], raw[48:51]}, // Accept: */*
	}
	h, text := api.NewHeaderText(raw, len(fields), func(i int) ([]byte, []byte) {
		return fields[i][0], fields[i][1]
	})
	fmt.Println(h.Get("Host"), h.Get("accept"), h.Len())
	fmt.Printf("%q\n", text[:20])
	fmt.Printf("%q\n", text[21:25])
	// Output:
	// example.com */* 2
	// "GET /hello HTTP/1.1\r"
	// "Host"
}

// A JSON API bounds one handler's body below the server's limit with
// net/http's MaxBytesReader (its ResponseWriter may be nil): a body past
// the bound fails the decoding with an *http.MaxBytesError, which the
// container answers 413, as it answers a body past the server's own limit.
// A body that is no JSON is the client's mistake too: a 400.
func ExampleStatusOf_maxBytes() {
	type note struct {
		Text string `json:"text"`
	}
	c := container.New()
	c.HandleFunc("POST /notes", func(w api.Response, r *api.Request) error {
		var n note
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body(), 64)).Decode(&n); err != nil {
			if api.StatusOf(err) == http.StatusRequestEntityTooLarge {
				return err
			}
			return &api.StatusError{Code: http.StatusBadRequest, Err: err}
		}
		api.SetContentType(w, "application/json")
		if err := w.SetStatus(http.StatusCreated); err != nil {
			return err
		}
		return json.NewEncoder(w).Encode(n)
	})
	defer c.Shutdown(context.Background())
	for _, body := range []string{`{"text":"hi"}`, `{"text":"` + strings.Repeat("x", 100) + `"}`, `{"text":`} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("POST", "/notes", strings.NewReader(body)))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 201 {"text":"hi"}
	// 413 413 Request Entity Too Large
	// 400 400 Bad Request: unexpected EOF
}

// IsFormType tells the bodies PostForm and Form read from the others, as
// net/http's ParseForm does: a handler that takes only a URL-encoded form
// answers the rest 415 rather than reading no fields.
func ExampleIsFormType() {
	for _, ct := range []string{
		"application/x-www-form-urlencoded",
		"Application/X-WWW-Form-Urlencoded; charset=utf-8",
		"multipart/form-data; boundary=x",
		"application/json",
		"",
	} {
		fmt.Printf("%q %v\n", ct, api.IsFormType(ct))
	}
	// Output:
	// "application/x-www-form-urlencoded" true
	// "Application/X-WWW-Form-Urlencoded; charset=utf-8" true
	// "multipart/form-data; boundary=x" false
	// "application/json" false
	// "" false
}

// A handler that passes a request on to another resource than the one its
// client asked for sheds the fields that asked for a part or a condition
// of the answer.
func ExampleHeader_WithoutConditions() {
	h := api.NewHeader(http.Header{
		"Accept":        {"text/html"},
		"Range":         {"bytes=0-3"},
		"If-None-Match": {`"v1"`},
	})
	w := h.WithoutConditions()
	fmt.Println(w.Len(), w.Get("Accept"), w.Has("Range"), w.Has("If-None-Match"), h.Has("Range"))
	// Output: 1 text/html false false true
}

// A net/http handler, here one written for a ServeMux pattern, mounted as
// it is: its PathValue reads the parameters of the pattern it was mounted
// on, and http.StripPrefix serves it under a prefix.
func ExampleFromHTTP() {
	legacy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s: order %s", r.URL.Path, r.PathValue("id"))
	})
	c := container.New()
	defer c.Shutdown(context.Background())
	c.Handle("GET /v1/orders/{id}", api.FromHTTP(http.StripPrefix("/v1", legacy)))

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/orders/42", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 /orders/42: order 42
}

// A handler hands its request to code written for net/http's
// *http.Request, here its BasicAuth.
func ExampleToHTTPRequest() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("/whoami", func(w api.Response, r *api.Request) error {
		hr, err := api.ToHTTPRequest(r)
		if err != nil {
			return err
		}
		user, _, ok := hr.BasicAuth()
		if !ok {
			return api.Error(http.StatusUnauthorized, "")
		}
		_, err = fmt.Fprintf(w, "%s %s as %s", hr.Method, hr.URL.Path, user)
		return err
	})

	req := httptest.NewRequest("GET", "/whoami", nil)
	req.SetBasicAuth("ana", "secret")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 GET /whoami as ana
}

// errLocked is an application's sentinel error.
var errLocked = errors.New("note locked")

// A handler fails with the status the client should get: Error for a
// message, a StatusError for a cause the error pages and the log can
// still match (errors.Is). Any other error is a 500. The client reads the
// message of a 4xx; the cause of a 5xx stays in the server's log.
func ExampleError() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Shutdown(context.Background())
	c.HandleFunc("/notes/{id}", func(w api.Response, r *api.Request) error {
		var err error
		switch r.PathParam("id") {
		case "1":
			err = api.Error(http.StatusNotFound, "no note 1")
		case "2":
			err = &api.StatusError{Code: http.StatusConflict, Err: errLocked}
		default:
			err = errors.New("database down")
		}
		fmt.Println(api.StatusOf(err), errors.Is(err, errLocked))
		return err
	})

	for _, id := range []string{"1", "2", "3"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/notes/"+id, nil))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 404 false
	// 404 404 Not Found: no note 1
	// 409 true
	// 409 409 Conflict: note locked
	// 500 false
	// 500 500 Internal Server Error
}

// A handler that answers from memory declares that it never blocks: the
// epoll connector then runs it on the goroutine that read the request,
// with no hand-off. A HandlerFunc declares nothing, and is Blocking.
func ExampleNonBlockingFunc() {
	ping := api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("pong")
		return err
	})
	report := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("report")
		return err
	})
	fmt.Println(api.InvocationTypeOf(ping), api.InvocationTypeOf(report))

	c := container.New()
	defer c.Shutdown(context.Background())
	c.Handle("/ping", ping)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/ping", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// NonBlocking Blocking
	// 200 pong
}

// Redirect answers as http.Redirect does: a relative target is resolved
// against the request's path, and a GET gets a short HTML body with the
// link.
func ExampleRedirect() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.HandleFunc("GET /items/{id}", func(w api.Response, r *api.Request) error {
		return api.Redirect(w, r, r.PathParam("id")+"/edit", http.StatusFound)
	})
	c.HandleFunc("POST /items", func(w api.Response, r *api.Request) error {
		return api.Redirect(w, r, "/items/8", http.StatusSeeOther)
	})

	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/items/7", nil),
		httptest.NewRequest("POST", "/items", nil),
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Printf("%d %s %q\n", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	// Output:
	// 302 /items/7/edit "<a href=\"/items/7/edit\">Found</a>.\n\n"
	// 303 /items/8 ""
}
