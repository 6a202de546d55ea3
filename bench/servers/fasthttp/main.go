// Command fasthttp is the fasthttp peer of examples/hello in Wharf's
// benchmark: the same four endpoints with the same answers.
//
//	GET /hello?name=N       200 "Hello, N!"
//	GET /sleep?ms=M         blocks the handler goroutine M ms
//	GET /delay?ms=M         the same as /sleep: a fasthttp handler must set
//	                        the whole response before it returns, so there is
//	                        no way to answer later without holding its worker
//	                        goroutine; it sleeps in the handler
//	GET /cpu?n=N            N rounds of the xorshift loop
//	GET /debug/goroutines   runtime.NumGoroutine()
//	GET /static/F           with -static DIR, the file DIR/F through
//	                        fasthttp.FS with its defaults (which keep small
//	                        files' contents cached in memory for 10 s)
//
// The server keeps fasthttp's defaults. It prints
// "listening on http://ADDR" and serves until killed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/wharf-go/wharf/bench/internal/endpoint"
)

func text(ctx *fasthttp.RequestCtx, status int, body string) {
	ctx.SetContentType(endpoint.ContentType)
	ctx.SetStatusCode(status)
	ctx.SetBodyString(body)
}

func wait(ctx *fasthttp.RequestCtx, answer func(int64) string) {
	d, ms, msg, ok := endpoint.Millis(string(ctx.QueryArgs().Peek("ms")))
	if !ok {
		text(ctx, fasthttp.StatusBadRequest, endpoint.BadRequest(msg))
		return
	}
	time.Sleep(d)
	text(ctx, fasthttp.StatusOK, answer(ms))
}

// serveStatic serves /static/*, when -static is given.
var serveStatic fasthttp.RequestHandler

func handle(ctx *fasthttp.RequestCtx) {
	if serveStatic != nil && bytes.HasPrefix(ctx.Path(), []byte("/static/")) {
		serveStatic(ctx)
		return
	}
	switch string(ctx.Path()) {
	case "/hello":
		text(ctx, fasthttp.StatusOK, endpoint.Hello(string(ctx.QueryArgs().Peek("name"))))
	case "/sleep":
		wait(ctx, endpoint.Slept)
	case "/delay":
		wait(ctx, endpoint.Delayed)
	case "/cpu":
		n, msg, ok := endpoint.CPUN(string(ctx.QueryArgs().Peek("n")))
		if !ok {
			text(ctx, fasthttp.StatusBadRequest, endpoint.BadRequest(msg))
			return
		}
		text(ctx, fasthttp.StatusOK, endpoint.CPU(n))
	case "/debug/goroutines":
		text(ctx, fasthttp.StatusOK, strconv.Itoa(runtime.NumGoroutine()))
	default:
		text(ctx, fasthttp.StatusNotFound, "404 Not Found\n")
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	staticDir := flag.String("static", "", "serve the files of this directory at /static/")
	flag.Parse()
	if *staticDir != "" {
		fs := &fasthttp.FS{Root: *staticDir, PathRewrite: fasthttp.NewPathPrefixStripper(len("/static"))}
		serveStatic = fs.NewRequestHandler()
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", l.Addr())
	log.Fatal((&fasthttp.Server{Handler: handle}).Serve(l))
}
