package h3_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
)

// A container served over HTTP/3 on UDP; HTTP/1.1 and HTTP/2 listeners of
// the same container would carry h3.AltSvc to point clients at it.
func ExampleServe() {
	cert, _ := devcert.New()
	pool, _ := devcert.Pool(cert)
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer pc.Close()
	done := make(chan error, 1)
	go func() { done <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()

	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	resp, err := (&http.Client{Transport: tr}).Get("https://" + pc.LocalAddr().String() + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	tr.Close()
	c.Shutdown(context.Background())
	fmt.Println(<-done)
	// Output:
	// hello over HTTP/3.0
	// http: Server closed
}

// The limits of container.WithConnector hold for HTTP/3 as for HTTP/1.1
// and HTTP/2; h3.Config.Connector would give HTTP/3 limits of its own.
func ExampleConfig() {
	cert, _ := devcert.New()
	pool, _ := devcert.Pool(cert)
	c := container.New(container.WithConnector(connector.Config{MaxBodyBytes: 16}))
	c.HandleFunc("/upload", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%d bytes", len(b))
		return err
	})
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer pc.Close()
	done := make(chan error, 1)
	go func() { done <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()

	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	client := &http.Client{Transport: tr}
	for _, body := range []string{"a small body", "a body over sixteen bytes"} {
		resp, err := client.Post("https://"+pc.LocalAddr().String()+"/upload", "text/plain", strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	tr.Close()
	c.Shutdown(context.Background())
	<-done
	// Output:
	// 200 OK
	// 413 Request Entity Too Large
}

// One call serves a container on one address over TLS: HTTP/1.1 and
// HTTP/2 on TCP, chosen by ALPN, and HTTP/3 on UDP, which every TCP answer
// advertises with Alt-Svc. Shutdown ends it all.
func ExampleServeTLS() {
	cert, _ := devcert.New()
	pool, _ := devcert.Pool(cert)
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	l, pc, err := h3.Listen("127.0.0.1:0") // TCP and UDP, one port
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()

	h1 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	h2 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	h3t := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	for _, rt := range []http.RoundTripper{h1, h2, h3t} {
		resp, err := (&http.Client{Transport: rt}).Get("https://" + l.Addr().String() + "/hello")
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		alt, _, _ := strings.Cut(resp.Header.Get("Alt-Svc"), "=")
		fmt.Printf("%s; Alt-Svc: %q\n", b, alt)
	}
	h1.CloseIdleConnections()
	h2.CloseIdleConnections()
	h3t.Close()
	c.Shutdown(context.Background())
	fmt.Println(<-done)
	// Output:
	// hello over HTTP/1.1; Alt-Svc: "h3"
	// hello over HTTP/2.0; Alt-Svc: "h3"
	// hello over HTTP/3.0; Alt-Svc: ""
	// http: Server closed
}

// A program that serves TLS, HTTP/2 and HTTP/3 on one port. DevCert makes
// a self-signed certificate for localhost at start, to try it with no
// certificate files (curl -k); a production server passes a tls.Config
// with its certificates instead of nil.
func ExampleListenAndServeTLS() {
	c := container.New()
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "Hello over %s!", r.Proto())
		return err
	})
	log.Fatal(h3.ListenAndServeTLS(c, "127.0.0.1:8443", nil, h3.Config{DevCert: true}))
}

// The parts ServeTLS puts together, for a server that serves TCP and UDP
// on listeners of its own: Serve runs HTTP/3 on the UDP socket, and AltSvc,
// ordered first on every context, points the clients of the TCP listener
// at it.
func ExampleAltSvc() {
	cert, _ := devcert.New()
	pool, _ := devcert.Pool(cert)
	c := container.New(container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "hello over %s", r.Proto())
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer pc.Close()
	udpPort := pc.LocalAddr().(*net.UDPAddr).Port
	for _, x := range c.Contexts() {
		x.FilterFirst("/*", h3.AltSvc(udpPort))
	}
	go c.ServeTLS(l, "", "")
	done := make(chan error, 1)
	go func() { done <- h3.Serve(c, pc, nil, h3.Config{}) }()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	resp, err := (&http.Client{Transport: tr}).Get("https://" + l.Addr().String() + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
	fmt.Println(string(b))
	fmt.Println(strings.Replace(resp.Header.Get("Alt-Svc"), strconv.Itoa(udpPort), "PORT", 1))
	c.Shutdown(context.Background())
	fmt.Println(<-done)
	// Output:
	// hello over HTTP/1.1
	// h3=":PORT"; ma=2592000
	// http: Server closed
}
