package auth_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/csrf"
	"github.com/wharf-go/wharf/session"
)

// A browser application: pages under /app need a login, which a form
// posts to /login; the session remembers the user.
func ExampleFormLogin() {
	c := container.New()
	c.Filter("/*", csrf.New(csrf.Config{}))       // the login form is a CSRF target too
	c.Filter("/*", session.New(session.Config{})) // before FormLogin
	c.Filter("/*", auth.FormLogin(auth.FormConfig{
		Check:  auth.Users(map[string]string{"ana": "correct horse"}),
		Target: "/app/home",
	}))
	c.Filter("/app/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
	c.HandleFunc("GET /login", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "the login form")
		return err
	})
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "the home page")
		return err
	})
	c.HandleFunc("/app/home", func(w api.Response, r *api.Request) error {
		u, _ := auth.UserOf(r)
		_, err := fmt.Fprintf(w, "welcome, %s", u.Name)
		return err
	})
	base, stop := serveExample(c)
	defer stop()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		fmt.Println("redirect:", req.URL.Path)
		return nil
	}}
	get := func(path string) {
		resp, err := browser.Get(base + path)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("GET %s: %d %s\n", path, resp.StatusCode, b)
	}
	post := func(path string, form url.Values) {
		resp, err := browser.PostForm(base+path, form)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("POST %s: %d %s\n", path, resp.StatusCode, bytes.TrimSpace(b))
	}

	get("/app/home")
	post("/login", url.Values{"user": {"ana"}, "password": {"guess"}})
	post("/login", url.Values{"user": {"ana"}, "password": {"correct horse"}})
	get("/app/home")
	post("/logout", nil)
	get("/app/home")
	// Output:
	// redirect: /login
	// GET /app/home: 200 the login form
	// POST /login: 401 401 Unauthorized: auth: invalid credentials
	// redirect: /app/home
	// POST /login: 200 welcome, ana
	// GET /app/home: 200 welcome, ana
	// redirect: /
	// POST /logout: 200 the home page
	// redirect: /login
	// GET /app/home: 200 the login form
}
