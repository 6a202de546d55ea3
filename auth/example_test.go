package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/session"
)

// serveExample serves c on a free port and returns its base URL and a
// function that stops it.
func serveExample(c *container.Container) (string, func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go c.Serve(l)
	return "http://" + l.Addr().String(), func() { c.Shutdown(context.Background()) }
}

// show prints the status, the challenge if any, and the body.
func show(resp *http.Response, err error) {
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
}

func ExampleBasic() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/admin/*", auth.Basic(auth.BasicConfig{
		Realm: "Administration",
		Check: auth.Users(map[string]string{"ana": "correct horse"}),
	}))
	c.HandleFunc("/admin/status", func(w api.Response, r *api.Request) error {
		u, _ := auth.UserOf(r)
		_, err := fmt.Fprintf(w, "hello %s\n", u.Name)
		return err
	})
	base, stop := serveExample(c)
	defer stop()

	show(http.Get(base + "/admin/status"))

	req, _ := http.NewRequest("GET", base+"/admin/status", nil)
	req.SetBasicAuth("ana", "correct horse")
	show(http.DefaultClient.Do(req))
	// Output:
	// 401 "Basic realm=\"Administration\", charset=\"UTF-8\"" 401 Unauthorized: auth: credentials required
	// 200 "" hello ana
}

func ExampleBearer() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/api/*", auth.Bearer(auth.BearerConfig{
		Realm: "api",
		Check: func(ctx context.Context, token string) (auth.User, error) {
			if token == "t0ken-of-ana" { // a real Check verifies a signature or asks a store
				return auth.User{Name: "ana", Roles: []string{"reader"}}, nil
			}
			return auth.User{}, errors.New("unknown token")
		},
	}))
	c.HandleFunc("/api/me", func(w api.Response, r *api.Request) error {
		u, _ := auth.UserOf(r)
		_, err := fmt.Fprintf(w, "%s %v\n", u.Name, u.Roles)
		return err
	})
	base, stop := serveExample(c)
	defer stop()

	for _, token := range []string{"t0ken-of-ana", "forged"} {
		req, _ := http.NewRequest("GET", base+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		show(http.DefaultClient.Do(req))
	}
	// Output:
	// 200 "" ana [reader]
	// 401 "Bearer realm=\"api\", error=\"invalid_token\"" 401 Unauthorized: auth: invalid token
}

// A filter that authenticates a request some other way attaches the user
// with WithUser and passes the new Request on; handlers read it with
// UserOf.
func ExampleUserOf() {
	trustProxy := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		// Say a proxy in front authenticated the client (and strips the
		// field from what clients send).
		if name := r.Header().Get("X-Authenticated-User"); name != "" {
			r = auth.WithUser(r, auth.User{Name: name})
		}
		return next.Next(w, r)
	})
	greet := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if u, ok := auth.UserOf(r); ok {
			fmt.Println("hello", u.Name)
		} else {
			fmt.Println("hello stranger")
		}
		return nil
	})
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", trustProxy)
	c.Handle("/", greet)
	base, stop := serveExample(c)
	defer stop()

	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("X-Authenticated-User", "ana")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	resp, _ = http.Get(base + "/")
	resp.Body.Close()
	// Output:
	// hello ana
	// hello stranger
}

func ExampleRequired() {
	users := auth.Users(map[string]string{"ana": "a", "bo": "b"})
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", auth.Basic(auth.BasicConfig{Check: func(ctx context.Context, user, password string) (auth.User, bool) {
		if u, ok := users(ctx, user, password); ok {
			if u.Name == "ana" {
				u.Roles = []string{"admin"}
			}
			return u, true
		}
		return auth.User{}, false
	}}))
	c.Filter("/admin/*", auth.Required(auth.RequiredConfig{Roles: []string{"admin"}}))
	c.HandleFunc("/admin/users", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("the user list\n")
		return err
	})
	base, stop := serveExample(c)
	defer stop()

	for _, user := range []string{"ana", "bo"} {
		req, _ := http.NewRequest("GET", base+"/admin/users", nil)
		req.SetBasicAuth(user, user[:1])
		show(http.DefaultClient.Do(req))
	}
	// Output:
	// 200 "" the user list
	// 403 "" 403 Forbidden: auth: forbidden
}

// A JSON login API authenticates in a handler of its own and records the
// user with Login; SessionUser finds the user in the session on the
// client's later requests, where Required lets it in and UserOf returns
// it. Logout ends the session.
func ExampleSessionUser() {
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", session.New(session.Config{})) // before SessionUser
	c.Filter("/*", auth.SessionUser())
	c.Filter("/api/me", auth.Required(auth.RequiredConfig{Challenge: `Bearer realm="api"`}))
	c.HandleFunc("POST /api/login", func(w api.Response, r *api.Request) error {
		var creds struct{ User, Password string }
		if err := json.NewDecoder(r.Body()).Decode(&creds); err != nil {
			return api.Error(http.StatusBadRequest, err.Error())
		}
		if creds.User != "ana" || creds.Password != "correct horse" { // a real API asks its user store
			return api.Error(http.StatusUnauthorized, "invalid credentials")
		}
		if err := auth.Login(r, auth.User{Name: creds.User, Roles: []string{"editor"}}); err != nil {
			return err
		}
		_, err := io.WriteString(w, `{"ok":true}`)
		return err
	})
	c.HandleFunc("POST /api/logout", func(w api.Response, r *api.Request) error {
		if err := auth.Logout(r); err != nil {
			return err
		}
		return w.SetStatus(http.StatusNoContent)
	})
	c.HandleFunc("GET /api/me", func(w api.Response, r *api.Request) error {
		u, _ := auth.UserOf(r) // Required let only a user in
		_, err := fmt.Fprintf(w, "%s, editor: %v", u.Name, u.HasRole("editor"))
		return err
	})
	base, stop := serveExample(c)
	defer stop()

	jar, _ := cookiejar.New(nil) // keeps the session cookie, as a browser or an API client does
	client := &http.Client{Jar: jar}
	do := func(method, path, body string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var cookies []string
		for _, ck := range resp.Cookies() {
			cookies = append(cookies, ck.Name)
		}
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %s: %d %v %s", method, path, resp.StatusCode, cookies, b)))
	}
	do("GET", "/api/me", "")
	do("POST", "/api/login", `{"user":"ana","password":"correct horse"}`)
	do("GET", "/api/me", "")
	do("POST", "/api/logout", "")
	do("GET", "/api/me", "")
	// Output:
	// GET /api/me: 401 [] 401 Unauthorized: auth: credentials required
	// POST /api/login: 200 [wharf_session] {"ok":true}
	// GET /api/me: 200 [] ana, editor: true
	// POST /api/logout: 204 [wharf_session]
	// GET /api/me: 401 [] 401 Unauthorized: auth: credentials required
}

// HasRole is the check Required makes, for a handler that decides for
// itself: what a user may see, rather than whether it may come in.
func ExampleUser_HasRole() {
	for _, u := range []auth.User{{Name: "ana", Roles: []string{"admin", "editor"}}, {Name: "bo"}} {
		fmt.Println(u.Name, u.HasRole("admin"))
	}
	// Output:
	// ana true
	// bo false
}
