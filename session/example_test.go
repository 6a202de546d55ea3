package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/session"
)

// A login that renews the session ID, a page that reads the session, and a
// logout, with a browser-like cookie jar as the client.
func Example() {
	c := container.New()
	c.Filter("/*", session.New(session.Config{})) // in memory, 30 min idle, 24 h at most
	c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if err := s.RenewID(); err != nil { // against session fixation
			return err
		}
		s.Set("user", r.FormValue("user"))
		_, err := io.WriteString(w, "welcome")
		return err
	})
	c.HandleFunc("GET /", func(w api.Response, r *api.Request) error {
		user, ok := session.Of(r).Get("user")
		if !ok {
			user = "stranger"
		}
		_, err := fmt.Fprintf(w, "hello, %s", user)
		return err
	})
	c.HandleFunc("POST /logout", func(w api.Response, r *api.Request) error {
		if err := session.Of(r).Invalidate(); err != nil {
			return err
		}
		_, err := io.WriteString(w, "bye")
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	base := "http://" + l.Addr().String()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	show := func(resp *http.Response, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(b))
	}
	show(client.Get(base + "/"))
	show(client.PostForm(base+"/login", url.Values{"user": {"alice"}}))
	show(client.Get(base + "/"))
	show(client.PostForm(base+"/logout", nil))
	show(client.Get(base + "/"))
	// Output:
	// 200 hello, stranger
	// 200 welcome
	// 200 hello, alice
	// 200 bye
	// 200 hello, stranger
}

// Values are strings: keep structured data as JSON.
func ExampleSession_Set_json() {
	type cart struct {
		Items []string `json:"items"`
	}
	c := container.New()
	c.Filter("/*", session.New(session.Config{}))
	c.HandleFunc("POST /cart", func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		var ct cart
		if v, ok := s.Get("cart"); ok {
			if err := json.Unmarshal([]byte(v), &ct); err != nil {
				return err
			}
		}
		ct.Items = append(ct.Items, r.FormValue("item"))
		b, err := json.Marshal(ct)
		if err != nil {
			return err
		}
		s.Set("cart", string(b))
		_, err = w.Write(b)
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	for _, item := range []string{"tea", "milk"} {
		resp, err := client.PostForm("http://"+l.Addr().String()+"/cart", url.Values{"item": {item}})
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(b))
	}
	// Output:
	// {"items":["tea"]}
	// {"items":["tea","milk"]}
}

// An async handler that changes the session in a later task: Of during the
// dispatch lets that task create the session (its cookie is set as the
// dispatch returns), and Save before Complete stores it before the client
// sees the answer.
func ExampleSession_Save() {
	c := container.New()
	c.Filter("/*", session.New(session.Config{}))
	c.HandleFunc("GET /visit", func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		ac, err := async.Start(r)
		if err != nil {
			return err
		}
		go ac.Dispatch(func(w api.Response) {
			n, _ := s.Get("visits")
			n += "I"
			s.Set("visits", n)
			if err := s.Save(r.Context()); err != nil {
				ac.Fail(err)
				return
			}
			io.WriteString(w, n)
			ac.Complete()
		})
		return nil
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	for range 3 {
		resp, err := client.Get("http://" + l.Addr().String() + "/visit")
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(b))
	}
	// Output:
	// I
	// II
	// III
}

// A long poll that only reads the session: Peek, unlike Of, does not make
// the suspended request create a session, so an anonymous client polling
// gets no cookie. (Of would give it a new one on every poll, stored
// nowhere, since nothing was written.)
func ExamplePeek() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.Filter("/*", session.New(session.Config{}))
	c.HandleFunc("GET /poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			if _, ok := session.Peek(r).Get("user"); !ok {
				cont.SetTimeout(time.Millisecond) // an anonymous client waits briefly
			}
			return cont.Suspend()
		}
		_, err := io.WriteString(w, "no news")
		return err
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
	fmt.Println(rec.Code, rec.Body, len(rec.Result().Cookies()), "cookies")
	// Output:
	// 200 no news 0 cookies
}

// A session cookie no other host of the domain can stand in for: with the
// "__Host-" prefix browsers take it only from this host, over https, for
// every path. Strict keeps it off every request another site starts.
func ExampleConfig() {
	c := container.New()
	defer c.Shutdown(context.Background())
	c.Filter("/*", session.New(session.Config{
		CookieName: "__Host-session",
		SameSite:   http.SameSiteStrictMode,
	}))
	c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
		session.Of(r).Set("user", "ana")
		_, err := io.WriteString(w, "welcome")
		return err
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("POST", "https://example.com/login", nil))
	id := rec.Result().Cookies()[0].Value // random
	fmt.Println(strings.Replace(rec.Header().Get("Set-Cookie"), id, "ID", 1))
	// Output: __Host-session=ID; Path=/; HttpOnly; Secure; SameSite=Strict
}
