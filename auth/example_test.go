package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
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
