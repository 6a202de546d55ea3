package natskv_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/natskv"
)

// Two instances of one application share their sessions through a NATS
// broker with JetStream: a client logs in on one and is known on the
// other. (The broker runs in the process here; in production it is a
// nats-server or a cluster of them.)
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "natskv-example")
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		fmt.Println("the broker did not start")
		return
	}

	instance := func() (string, func()) {
		nc, _ := nats.Connect(ns.ClientURL(), nats.MaxReconnects(-1)) // never give up: the default stops after 2 minutes
		js, _ := jetstream.New(nc)
		store, err := natskv.New(context.Background(), js, natskv.Config{})
		if err != nil {
			fmt.Println(err)
		}
		c := container.New()
		c.Filter("/*", session.New(session.Config{Store: store}))
		c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			if err := s.RenewID(); err != nil {
				return err
			}
			s.Set("user", r.FormValue("user"))
			_, err := io.WriteString(w, "welcome")
			return err
		})
		c.HandleFunc("GET /", func(w api.Response, r *api.Request) error {
			user, _ := session.Of(r).Get("user")
			_, err := fmt.Fprintf(w, "hello, %s", user)
			return err
		})
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		go c.Serve(l)
		return "http://" + l.Addr().String(), func() { c.Shutdown(context.Background()); nc.Close() }
	}
	a, stopA := instance()
	defer stopA()
	b, stopB := instance()
	defer stopB()

	jar, _ := cookiejar.New(nil) // cookies do not depend on the port
	client := &http.Client{Jar: jar}
	show := func(resp *http.Response, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	show(client.PostForm(a+"/login", url.Values{"user": {"alice"}}))
	show(client.Get(b + "/"))
	// Output:
	// welcome
	// hello, alice
}

// A server's set-up: a connection that keeps reconnecting through a broker
// outage (meanwhile the sessions' requests are answered 503), and the
// store on it. Not run: it needs a broker at nats.DefaultURL.
func ExampleNew_reconnect() {
	ctx, url := context.Background(), nats.DefaultURL
	c := container.New()
	setUp := func() error {
		nc, err := nats.Connect(url, nats.MaxReconnects(-1)) // never give up: the default stops after 2 minutes
		if err != nil {
			return err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		store, err := natskv.New(ctx, js, natskv.Config{}) // bucket "wharf_sessions", TTL 24 h
		if err != nil {
			return err
		}
		c.Filter("/*", session.New(session.Config{Store: store}))
		return nil
	}
	if err := setUp(); err != nil {
		log.Fatal(err)
	}
	log.Fatal(c.ListenAndServe("127.0.0.1:8080"))
}
