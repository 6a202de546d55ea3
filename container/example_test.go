package container_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
)

func Example() {
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		name := r.QueryValue("name")
		if name == "" {
			return api.Error(http.StatusBadRequest, "name is required")
		}
		_, err := fmt.Fprintf(w, "Hello, %s!", name)
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	for _, q := range []string{"?name=Wharf", ""} {
		resp, err := http.Get("http://" + l.Addr().String() + "/hello" + q)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s\n", resp.StatusCode, b)
	}
	// Output:
	// 200 Hello, Wharf!
	// 400 400 Bad Request: name is required
}

// The README's first example: a handler and a server on a fixed address.
// (Compiled, not run: it serves until the process ends. Example runs the
// same handler on a listener of its own.)
func ExampleContainer_ListenAndServe() {
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		name := r.QueryValue("name")
		if name == "" {
			return api.Error(http.StatusBadRequest, "name is required")
		}
		_, err := fmt.Fprintf(w, "Hello, %s!", name)
		return err
	})
	log.Fatal(c.ListenAndServe("127.0.0.1:8080"))
}

// A context groups handlers under a path; patterns follow the servlet rules.
func ExampleContainer_Context() {
	c := container.New()
	shop := c.Context("/shop")
	shop.HandleFunc("/items/{id}", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "item %s in %s", r.PathParam("id"), r.ContextPath())
		return err
	})
	shop.HandleFunc("*.json", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "json at %s", r.PathInContext())
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	for _, p := range []string{"/shop/items/7", "/shop/data/x.json"} {
		resp, _ := http.Get("http://" + l.Addr().String() + p)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(b))
	}
	// Output:
	// item 7 in /shop
	// json at /data/x.json
}

// Error pages render failures by error and by status.
func ExampleContext_ErrorPage() {
	c := container.New()
	c.HandleFunc("/missing", func(w api.Response, r *api.Request) error {
		return api.Error(http.StatusNotFound, "no such thing")
	})
	c.Root().ErrorPage(http.StatusNotFound, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "sorry: %v", container.ErrorOf(r))
		return err
	}))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/missing")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))
	// Output: 404 sorry: 404 Not Found: no such thing
}

// A container is an http.Handler, and any http.Handler can be mounted in it.
func ExampleContext_Mount() {
	mux := http.NewServeMux()
	mux.HandleFunc("/std/ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") })
	c := container.New()
	c.Root().Mount("/std/*", mux)

	srv := &http.Server{Handler: c} // the container inside net/http
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()
	resp, _ := http.Get("http://" + l.Addr().String() + "/std/ping")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: pong
}

// ListenAndServeTLS serves HTTPS on an address, with a certificate and
// key from PEM files, as net/http's does.
func ExampleContainer_ListenAndServeTLS() {
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	log.Fatal(c.ListenAndServeTLS("127.0.0.1:8443", "cert.pem", "key.pem"))
}

// Serving TLS: HTTP/1.1, and HTTP/2 for clients that ask for it through
// ALPN, with certificates from a tls.Config (or PEM files given to
// ServeTLS). The certificate here is self-signed and made on the spot, so
// that the example runs anywhere; a server loads its own, with
// tls.LoadX509KeyPair or through ServeTLS's file names.
func ExampleContainer_ServeTLS() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	template := &x509.Certificate{
		// CreateCertificate picks a random serial number.
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	pool := x509.NewCertPool() // the client trusts that one certificate
	pool.AddCert(leaf)

	c := container.New(container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s, ALPN %q", r.Proto(), r.TLS().NegotiatedProtocol)
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.ServeTLS(l, "", "")
	defer c.Shutdown(context.Background())

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + l.Addr().String() + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: hello over HTTP/2.0, ALPN "h2"
}

// ConnectorConfig is the one configuration the protocols served beside the
// connector (package h3) read their limits from.
func ExampleContainer_ConnectorConfig() {
	c := container.New(container.WithConnector(connector.Config{MaxBodyBytes: 1 << 20}))
	cfg := c.ConnectorConfig()
	lim := cfg.Limits()
	fmt.Println(lim.MaxBodyBytes, lim.MaxURILength)
	// Output:
	// 1048576 8192
}

// A filter that every answer must pass is ordered first: here an
// authorization filter added before it answers 401 without calling next,
// and the header of the filter ordered first is still on the 401, where a
// "/*" filter added with Filter after the check would never run.
func ExampleContainer_FilterFirst() {
	c := container.New()
	c.HandleFunc("/admin/report", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "report")
		return err
	})
	c.FilterFunc("/admin/*", func(w api.Response, r *api.Request, next api.Chain) error {
		if r.Header().Get("Authorization") == "" {
			return api.Error(http.StatusUnauthorized, "log in first")
		}
		return next.Next(w, r)
	})
	c.FilterFirst("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		w.Header().Set("Cache-Control", "no-store")
		return next.Next(w, r)
	}))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	for _, auth := range []string{"", "Bearer secret"} {
		req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/admin/report", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	// Output:
	// 401 no-store
	// 200 no-store
}

// ErrorPageAs[error] renders every failure of a context: a JSON API
// answers its errors as JSON, the client's mistakes with their message,
// the server's without it.
func ExampleErrorPageAs_json() {
	c := container.New()
	c.HandleFunc("GET /notes/{id}", func(w api.Response, r *api.Request) error {
		return api.Error(http.StatusNotFound, "no note "+r.PathParam("id"))
	})
	c.HandleFunc("POST /notes", func(w api.Response, r *api.Request) error {
		return errors.New("database down") // a 500
	})
	container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(w api.Response, r *api.Request) error {
		err, status := container.ErrorOf(r), w.Status() // the status is set already
		msg := http.StatusText(status)
		var se *api.StatusError
		if status < 500 && errors.As(err, &se) && se.Err != nil {
			msg = se.Err.Error()
		}
		api.SetContentType(w, "application/json")
		return json.NewEncoder(w).Encode(map[string]any{"status": status, "error": msg})
	}))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	for _, req := range [][2]string{{"GET", "/notes/7"}, {"POST", "/notes"}, {"DELETE", "/notes/7"}} {
		hr, _ := http.NewRequest(req[0], "http://"+l.Addr().String()+req[1], nil)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), strings.TrimSpace(string(b)))
	}
	// Output:
	// 404 application/json {"error":"no note 7","status":404}
	// 500 application/json {"error":"Internal Server Error","status":500}
	// 405 application/json {"error":"Method Not Allowed","status":405}
}

// errQuotaExceeded is an application's sentinel error.
var errQuotaExceeded = errors.New("quota exceeded")

// ErrorPageFor renders the failures that wrap one error, whatever status
// they would have: here a quota error, wrapped by the handler, gets a
// page of its own with a 429, where any other failure gets the default.
func ExampleContext_ErrorPageFor() {
	c := container.New()
	c.HandleFunc("/upload", func(w api.Response, r *api.Request) error {
		return fmt.Errorf("storing the upload: %w", errQuotaExceeded)
	})
	c.Root().ErrorPageFor(errQuotaExceeded, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if err := w.SetStatus(http.StatusTooManyRequests); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "over your quota (%v)", container.ErrorOf(r))
		return err
	}))

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())
	resp, _ := http.Get("http://" + l.Addr().String() + "/upload")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))
	// Output: 429 over your quota (storing the upload: quota exceeded)
}

// HTTP/2 without TLS, for a client that knows the server speaks it (prior
// knowledge), as a proxy in front of the server often does; an HTTP/1.1
// client on the same listener is served as before.
func ExampleWithH2C() {
	c := container.New(container.WithH2C())
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	h1 := &http.Transport{}
	for _, tr := range []*http.Transport{h2c, h1} {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/hello")
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		fmt.Println(string(b))
	}
	// Output:
	// hello over HTTP/2.0
	// hello over HTTP/1.1
}

// The bound of a URL-encoded body that Request.Form reads: a form over it
// fails Form with api.ErrBodyTooLarge, which the handler returns as it is,
// and the client is answered 413.
func ExampleWithMaxFormBytes() {
	c := container.New(container.WithMaxFormBytes(32))
	defer c.Shutdown(context.Background())
	c.HandleFunc("POST /comment", func(w api.Response, r *api.Request) error {
		form, err := r.Form()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%d bytes of comment", len(form.Get("text")))
		return err
	})

	for _, text := range []string{"short", strings.Repeat("long ", 10)} {
		req := httptest.NewRequest("POST", "/comment", strings.NewReader("text="+text))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 5 bytes of comment
	// 413 413 Request Entity Too Large
}

// The timeout of every suspended or async request that sets none of its
// own: here a long poll that nothing resumes expires after the container's
// 20 ms, and its expired pass answers.
func ExampleWithAsyncTimeout() {
	c := container.New(container.WithAsyncTimeout(20 * time.Millisecond))
	defer c.Shutdown(context.Background())
	c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			return cont.Suspend() // no SetTimeout: the container's applies
		}
		_, err := fmt.Fprintf(w, "expired: %v", cont.IsExpired())
		return err
	})

	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/poll", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 expired: true
}

// An executor of your own bounds the goroutines that run the container's
// work: here the async tasks of a handler. It stays the caller's, to close
// once the container stopped.
func ExampleWithExecutor() {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 16})
	c := container.New(container.WithExecutor(ex))
	c.HandleFunc("/work", func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		go a.Dispatch(func(w api.Response) { // a task: it runs on ex
			io.WriteString(w, "done")
			a.Complete()
		})
		return nil
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)

	resp, err := http.Get("http://" + l.Addr().String() + "/work")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b), c.Stats().Executor.MaxWorkers)

	c.Shutdown(context.Background())
	ex.Close(context.Background()) // after the container
	s := ex.Stats()
	fmt.Println("tasks run:", s.Tasks > 0, "rejected:", s.Rejected)
	// Output:
	// done 16
	// tasks run: true rejected: 0
}

// A path with an escaped slash is refused with 400 before any filter or
// handler sees it, since a proxy in front may have matched it otherwise;
// with WithAmbiguousPaths it is decoded and mapped as any other.
func ExampleWithAmbiguousPaths() {
	for _, opts := range [][]container.Option{nil, {container.WithAmbiguousPaths()}} {
		c := container.New(opts...)
		c.HandleFunc("/files/*", func(w api.Response, r *api.Request) error {
			_, err := fmt.Fprintf(w, "file %s", r.Mapping().PathInfo)
			return err
		})
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/files/a%2Fb", nil))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
		c.Shutdown(context.Background())
	}
	// Output:
	// 400 400 Bad Request: ambiguous path: an escaped '/' or '\', or an escaped dot segment
	// 200 file /a/b
}

// What the container does not track stops with it: a function registered
// with RegisterOnShutdown runs, on a goroutine of its own, when Shutdown
// (or Close) is first called.
func ExampleContainer_RegisterOnShutdown() {
	c := container.New()
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "hello")
		return err
	})
	stopped := make(chan struct{})
	c.RegisterOnShutdown(func() {
		fmt.Println("closing the connections of our own")
		close(stopped)
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)

	err := c.Shutdown(context.Background())
	<-stopped
	fmt.Println("shut down:", err)
	// Output:
	// closing the connections of our own
	// shut down: <nil>
}
