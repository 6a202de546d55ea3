package auth_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

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

// A file-sharing service that browsers log into with a form and API
// clients call with Basic credentials, on the same paths: Basic with
// Optional lets a request without Basic credentials on to the form
// login's session, and one Required sends a browser loading a page to the
// login form and answers any other request without a user 401 with
// Basic's challenge.
func ExampleBasic_optional() {
	users := auth.Users(map[string]string{"ana": "correct horse"})
	c := container.New()
	c.Filter("/*", csrf.New(csrf.Config{}))
	c.Filter("/*", session.New(session.Config{}))
	c.Filter("/*", auth.Basic(auth.BasicConfig{Realm: "files", Check: users, Optional: true}))
	c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: users}))
	c.Filter("/files/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
	c.HandleFunc("GET /login", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "the login form")
		return err
	})
	c.HandleFunc("/files/{name}", func(w api.Response, r *api.Request) error {
		u, _ := auth.UserOf(r)
		_, err := fmt.Fprintf(w, "%s for %s", r.PathParam("name"), u.Name)
		return err
	})
	base, stop := serveExample(c)
	defer stop()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		fmt.Println("redirect:", req.URL.Path)
		return nil
	}}
	do := func(client *http.Client, req *http.Request) {
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %s: %d %q %s\n", req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), bytes.TrimSpace(b))
	}

	// A browser loads the page, logs in and is sent back to it.
	page, _ := http.NewRequest("GET", base+"/files/report.pdf", nil)
	page.Header.Set("Sec-Fetch-Mode", "navigate")
	do(browser, page)
	login, _ := http.NewRequest("POST", base+"/login", strings.NewReader("user=ana&password=correct+horse"))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(browser, login)

	// An API client sends its credentials, wrong ones, or none.
	for _, password := range []string{"correct horse", "guess", ""} {
		req, _ := http.NewRequest("GET", base+"/files/report.pdf", nil)
		req.Header.Set("Accept", "application/json")
		if password != "" {
			req.SetBasicAuth("ana", password)
		}
		do(http.DefaultClient, req)
	}
	// Output:
	// redirect: /login
	// GET /files/report.pdf: 200 "" the login form
	// redirect: /files/report.pdf
	// POST /login: 200 "" report.pdf for ana
	// GET /files/report.pdf: 200 "" report.pdf for ana
	// GET /files/report.pdf: 401 "Basic realm=\"files\", charset=\"UTF-8\"" 401 Unauthorized: auth: invalid credentials
	// GET /files/report.pdf: 401 "Basic realm=\"files\", charset=\"UTF-8\"" 401 Unauthorized: auth: credentials required
}
