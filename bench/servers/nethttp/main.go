// Command nethttp is the net/http peer of examples/hello in Wharf's
// benchmark: the same endpoints with the same answers.
//
//	GET /hello?name=N       200 "Hello, N!"
//	GET /sleep?ms=M         blocks the handler goroutine M ms
//	GET /delay?ms=M         the same as /sleep: net/http has no way to answer
//	                        later without holding the handler's goroutine
//	                        (the response must be written before ServeHTTP
//	                        returns), so it sleeps in the handler
//	GET /cpu?n=N            N rounds of the xorshift loop
//	GET /events/{topic}     a Server-Sent Events stream (events.go: a
//	                        goroutine per stream, http.Flusher, a hub with a
//	                        buffered channel per client)
//	POST /publish/{topic}   publishes the body as an event of the topic
//	GET /debug/goroutines   runtime.NumGoroutine()
//	GET /static/F           with -static DIR, the file DIR/F through
//	                        http.FileServer (the static-file benchmarks)
//
// It prints "listening on http://ADDR" and serves until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/wharf-go/wharf/bench/internal/endpoint"
)

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", endpoint.ContentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func wait(w http.ResponseWriter, r *http.Request, answer func(int64) string) {
	d, ms, msg, ok := endpoint.Millis(r.URL.Query().Get("ms"))
	if !ok {
		text(w, http.StatusBadRequest, endpoint.BadRequest(msg))
		return
	}
	time.Sleep(d)
	text(w, http.StatusOK, answer(ms))
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	h2c := flag.Bool("h2c", false, "also accept HTTP/2 without TLS (h2c with prior knowledge)")
	staticDir := flag.String("static", "", "serve the files of this directory at /static/")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, endpoint.Hello(r.URL.Query().Get("name")))
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) { wait(w, r, endpoint.Slept) })
	mux.HandleFunc("/delay", func(w http.ResponseWriter, r *http.Request) { wait(w, r, endpoint.Delayed) })
	mux.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) {
		n, msg, ok := endpoint.CPUN(r.URL.Query().Get("n"))
		if !ok {
			text(w, http.StatusBadRequest, endpoint.BadRequest(msg))
			return
		}
		text(w, http.StatusOK, endpoint.CPU(n))
	})
	h := newHub()
	mux.HandleFunc("GET /events/{topic}", h.serveEvents)
	mux.HandleFunc("POST /publish/{topic}", h.servePublish)
	mux.HandleFunc("/debug/goroutines", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, strconv.Itoa(runtime.NumGoroutine()))
	})

	if *staticDir != "" {
		mux.Handle("/static/", http.StripPrefix("/static", http.FileServer(http.Dir(*staticDir))))
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", l.Addr())
	srv := &http.Server{Handler: mux}
	if *h2c {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	log.Fatal(srv.Serve(l))
}
