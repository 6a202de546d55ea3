// Command nbio is the nbio (nbhttp) peer of examples/hello in Wharf's
// benchmark: the same four endpoints with the same answers, on nbhttp's
// default non-blocking engine (epoll pollers, handlers on its goroutine
// pool).
//
//	GET /hello?name=N       200 "Hello, N!"
//	GET /sleep?ms=M         blocks the handler goroutine M ms
//	GET /delay?ms=M         answers after M ms without holding a goroutine:
//	                        the handler hijacks the response, arms a timer
//	                        (Engine.AfterFunc) and returns; the timer's
//	                        callback writes the response on the connection,
//	                        which stays in nbio's poller for the next request
//	GET /cpu?n=N            N rounds of the xorshift loop
//	GET /debug/goroutines   runtime.NumGoroutine()
//
// nbhttp has no API to finish a response after the handler returned, so
// /delay writes the response bytes itself (status line, Content-Type,
// Content-Length, Date). It does not support pipelined requests behind a
// /delay, which neither wrk nor the benchmark's long-poll client sends.
//
// It prints "listening on http://ADDR" and serves until killed; nbio's own
// log goes to stderr.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"

	"github.com/wharf-go/wharf/bench/internal/endpoint"
)

// text answers with a Content-Length, as the other servers do (nbhttp
// would otherwise send a body written with Write chunked).
func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", endpoint.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// rawOK is a whole 200 response with body, for writing after the handler
// returned.
func rawOK(body string, closing bool) []byte {
	b := make([]byte, 0, 160+len(body))
	b = append(b, "HTTP/1.1 200 OK\r\nContent-Type: "+endpoint.ContentType+"\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nDate: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	if closing {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	flag.Parse()
	logging.Output = os.Stderr

	var engine *nbhttp.Engine
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, endpoint.Hello(r.URL.Query().Get("name")))
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, ms, msg, ok := endpoint.Millis(r.URL.Query().Get("ms"))
		if !ok {
			text(w, http.StatusBadRequest, endpoint.BadRequest(msg))
			return
		}
		time.Sleep(d)
		text(w, http.StatusOK, endpoint.Slept(ms))
	})
	mux.HandleFunc("/delay", func(w http.ResponseWriter, r *http.Request) {
		d, ms, msg, ok := endpoint.Millis(r.URL.Query().Get("ms"))
		if !ok {
			text(w, http.StatusBadRequest, endpoint.BadRequest(msg))
			return
		}
		res, isNB := w.(*nbhttp.Response)
		if !isNB {
			time.Sleep(d)
			text(w, http.StatusOK, endpoint.Delayed(ms))
			return
		}
		conn, _, err := res.Hijack()
		if err != nil {
			text(w, http.StatusInternalServerError, err.Error())
			return
		}
		closing := r.Close // r is recycled once the handler returns
		engine.AfterFunc(d, func() {
			if _, err := conn.Write(rawOK(endpoint.Delayed(ms), closing)); err != nil || closing {
				_ = conn.Close()
				return
			}
			// What nbhttp does after a response it flushed itself.
			_ = conn.SetReadDeadline(time.Now().Add(engine.KeepaliveTime))
		})
	})
	mux.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) {
		n, msg, ok := endpoint.CPUN(r.URL.Query().Get("n"))
		if !ok {
			text(w, http.StatusBadRequest, endpoint.BadRequest(msg))
			return
		}
		text(w, http.StatusOK, endpoint.CPU(n))
	})
	mux.HandleFunc("/debug/goroutines", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, strconv.Itoa(runtime.NumGoroutine()))
	})

	bound := make(chan string, 1)
	engine = nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{*addr},
		Handler: mux,
		Listen: func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err == nil {
				select {
				case bound <- l.Addr().String():
				default:
				}
			}
			return l, err
		},
	})
	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", <-bound)
	select {}
}
