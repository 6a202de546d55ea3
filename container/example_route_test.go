package container_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
)

// Routing by method, in net/http's pattern form. A path with handlers for
// some methods answers the others 405 with Allow; GET's handler serves
// HEAD; OPTIONS is answered with Allow.
func ExampleContainer_HandleFunc_methods() {
	var mu sync.Mutex
	items := map[string]string{"1": "apple"}

	c := container.New()
	c.HandleFunc("GET /items/{id}", func(w api.Response, r *api.Request) error {
		mu.Lock()
		defer mu.Unlock()
		item, ok := items[r.PathParam("id")]
		if !ok {
			return api.Error(http.StatusNotFound, "no such item")
		}
		_, err := io.WriteString(w, item)
		return err
	})
	c.HandleFunc("PUT /items/{id}", func(w api.Response, r *api.Request) error {
		name := r.FormValue("name")
		if name == "" {
			return api.Error(http.StatusBadRequest, "name is required")
		}
		mu.Lock()
		defer mu.Unlock()
		items[r.PathParam("id")] = name
		return w.SetStatus(http.StatusNoContent)
	})

	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/items/1", nil),
		httptest.NewRequest("PUT", "/items/2", strings.NewReader("name=pear")),
		httptest.NewRequest("GET", "/items/2", nil),
		httptest.NewRequest("DELETE", "/items/2", nil),
	} {
		if req.Method == "PUT" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		line := fmt.Sprint(req.Method, " ", req.URL.Path, " ", rec.Code, " ", rec.Header().Get("Allow"), " ", rec.Body.String())
		fmt.Println(strings.Join(strings.Fields(line), " "))
	}
	// Output:
	// GET /items/1 200 apple
	// PUT /items/2 204
	// GET /items/2 200 pear
	// DELETE /items/2 405 GET, HEAD, OPTIONS, PUT 405 Method Not Allowed
}

// An error keeps the headers set before it: here the filter's
// WWW-Authenticate reaches the client with the 401.
func ExampleContainer_Filter_auth() {
	c := container.New()
	c.HandleFunc("GET /api/items", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "[]")
		return err
	})
	c.FilterFunc("/api/*", func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Header().Get("Authorization") != "Bearer secret" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			return api.Error(http.StatusUnauthorized, "")
		}
		return next.Next(w, r)
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/api/items", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output: 401 Bearer realm="api"
}

// A form posted to log in sets a session cookie, which later requests
// send back.
func ExampleContainer_HandleFunc_session() {
	c := container.New()
	c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
		user := r.FormValue("user")
		if user == "" {
			return api.Error(http.StatusBadRequest, "user is required")
		}
		// A real application would set a signed session id, not the name.
		ck := &http.Cookie{Name: "user", Value: user, Path: "/", HttpOnly: true}
		if err := api.SetCookie(w, ck); err != nil { // a value no cookie can hold: "a;b", "José"
			return api.Error(http.StatusBadRequest, "user cannot be a cookie")
		}
		_, err := io.WriteString(w, "welcome "+user)
		return err
	})
	c.HandleFunc("GET /me", func(w api.Response, r *api.Request) error {
		ck, err := r.Cookie("user")
		if err != nil {
			return api.Error(http.StatusUnauthorized, "log in first")
		}
		_, err = io.WriteString(w, ck.Value)
		return err
	})

	login := httptest.NewRequest("POST", "/login", strings.NewReader("user=ann"))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, login)
	fmt.Println(rec.Code, rec.Body, rec.Header().Get("Set-Cookie"))

	me := httptest.NewRequest("GET", "/me", nil)
	for _, ck := range rec.Result().Cookies() {
		me.AddCookie(ck)
	}
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, me)
	fmt.Println(rec.Code, rec.Body)

	// A name no cookie value can hold is refused, not welcomed without
	// the cookie that the next request would need.
	login = httptest.NewRequest("POST", "/login", strings.NewReader("user=Jos%C3%A9"))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, login)
	fmt.Println(rec.Code, rec.Header().Values("Set-Cookie"))
	// Output:
	// 200 welcome ann user=ann; Path=/; HttpOnly
	// 200 ann
	// 400 []
}
