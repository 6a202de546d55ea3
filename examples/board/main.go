// Command board is Wharf's reference web application, written as a user
// would write theirs: a message board where people log in, post, and
// attach files to their posts. It uses only the module's public packages:
// static for the page, session (on NATS JetStream KV across instances) and
// auth for the login, filters/csrf against cross-site requests, and
// formdata for the uploads.
//
// Endpoints:
//
//	GET    /                              the page (web/index.html), with ETag
//	GET    /static/...                    its script and style sheet
//	POST   /login     user=U&password=P   303 to / with the session cookie
//	                                      (the password is "board" for anyone);
//	                                      401 for a wrong one
//	POST   /logout                        303 to /; the session ends everywhere
//	GET    /api/me                        {"user":U}; 401 without a session
//	GET    /api/posts                     [{"id","user","text","attachments"}...],
//	                                      oldest first
//	POST   /api/posts  {"text":T}         201 and the post; 401 without a session
//	GET    /api/posts/{id}                the post, or 404
//	DELETE /api/posts/{id}                204 for its author, 403 for others
//	POST   /api/posts/{id}/attachments    multipart/form-data with a file part
//	                                      "file" of at most 8 MiB: 201
//	                                      {"url":"/attachments/K","size":N}
//	GET    /attachments/K                 the file, with ETag and Range
//
// Any other method on these paths is a 405 with Allow. The API's errors
// answer {"error": "..."}. A state-changing request from another origin
// (an Origin of another host, or Sec-Fetch-Site: cross-site) is a 403,
// whatever cookie it carries.
//
// Flags:
//
//	-addr host:port     where to listen (127.0.0.1:8080)
//	-tls                serve TLS with a self-signed certificate made at start
//	-cert f -key f      serve TLS with this certificate
//	-h2c                accept HTTP/2 in cleartext
//	-h3                 also serve HTTP/3 on UDP at the same port (with -tls)
//	-nats URL           keep sessions in JetStream KV on this NATS broker
//	-nats-embed ADDR    start a NATS broker with JetStream at ADDR, and keep
//	                    sessions there
//	-attachments DIR    where attached files go (a temporary directory,
//	                    removed at exit, by default)
//
// Usage:
//
//	go run ./examples/board
//
// and open http://127.0.0.1:8080/. The server prints one line, "listening
// on http://ADDR", and shuts down gracefully on SIGINT or SIGTERM.
//
// # Several instances
//
// Posts live in each process's memory; sessions can be shared. Two
// instances, the first running the broker:
//
//	go run ./examples/board -addr 127.0.0.1:8081 -nats-embed 127.0.0.1:4222
//	go run ./examples/board -addr 127.0.0.1:8082 -nats nats://127.0.0.1:4222
//
// A login on one is a login on both, and a logout on one ends it on both;
// each shows its own posts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "board:", err)
		os.Exit(1)
	}
}
