// Command board is Wharf's reference web application, written as a user
// would write theirs: a message board where people log in, post, and
// attach files to their posts. It uses only the module's public packages:
// static for the page, session (on NATS JetStream KV across instances) and
// auth for the login, filters/csrf against cross-site requests, formdata
// for the uploads, and sse (sse/natssse across instances) for the live
// list of posts.
//
// Endpoints:
//
//	GET    /                              the page (web/index.html, which
//	                                      /index.html serves too), with ETag
//	GET    /static/...                    its script and style sheet
//	POST   /login     user=U&password=P   303 to / with the session cookie
//	                                      (the password is "board" for anyone);
//	                                      401 for a wrong one, or a name that
//	                                      is empty, over 64 bytes, not
//	                                      printable UTF-8, or has spaces at
//	                                      either end
//	POST   /logout                        303 to /; the session ends everywhere
//	GET    /api/me                        {"user":U}; 401 without a session
//	GET    /api/posts                     [{"id","user","text","attachments"}...],
//	                                      oldest first: the newest 1,000, as
//	                                      the board keeps no more (a new
//	                                      post drops the oldest, and its
//	                                      files, past them)
//	POST   /api/posts  {"text":T}         201 and the post; 401 without a session;
//	                                      400 for a text that is empty, over
//	                                      2000 characters, or holds a control
//	                                      character other than a line break
//	                                      (CRLF is kept as LF) or a tab
//	GET    /api/posts/{id}                the post, or 404
//	DELETE /api/posts/{id}                204 for its author, 403 for others
//	POST   /api/posts/{id}/attachments    multipart/form-data with a file part
//	                                      "file" of at most 8 MiB: 201
//	                                      {"url":"/attachments/K","size":N};
//	                                      409 on a post that holds 4 files,
//	                                      507 once the files of all the
//	                                      posts would pass 1 GiB
//	GET    /attachments/K                 the file, with ETag and Range, as a
//	                                      download (Content-Disposition:
//	                                      attachment) in a sandbox
//	GET    /events                        the new posts, as Server-Sent Events
//
// GET /events streams one event per new post, to anyone (the posts are
// public), as the page's EventSource reads it:
//
//	id: 1796453199245118
//	event: post
//	data: {"id":1796453199245118,"user":"ann","text":"hello","attachments":[]}
//
// and one event "deleted" per deleted post, whose data is the post's id.
// A replay (Last-Event-ID) leaves out the event of a post it also holds
// the deletion of, so that a deleted post's text is not served again.
//
// The data is the post's JSON as GET /api/posts/{id} answers it when it is
// made (without the final newline; attachments come later and send no
// event). The id: field is the event's ID in the broker's log, which a
// client sends back as Last-Event-ID when it reconnects, to be sent what
// it missed (of the log's last 1,000 events, posts and deletions
// together; before them, an event "missed" first); and it is the post's
// id, in both modes, because the board
// numbers each post by the ID its event gets: it has the log number the
// event, builds the post and the event's data for that number
// (sse.Broker.PublishWaitFunc), and stores the post once the event is
// published, holding no lock while it waits for the log. A post whose
// event is refused is not made (503).
//
//   - Alone (no -nats), the log is in memory, and its events are numbered
//     one after another from the time the board started, in microseconds
//     since 1970 (sixteen digits), so that a page that comes back after
//     a restart with the ID of a post the restart lost is sent "missed"
//     rather than resumed at a new post that has the same number. A
//     deletion's event takes a number too: the posts' ids follow one
//     another until a post is deleted, and skip its deletion's after.
//   - With -nats or -nats-embed, the log is a JetStream stream
//     (WHARF_BOARD_EVENTS, through sse/natssse, on the connection of the
//     sessions) that every instance shares, so that an EventSource resumes
//     on any instance (the one it was on may have restarted); the posts'
//     ids are its sequence numbers: increasing, unique across instances,
//     not contiguous, and counted, as alone, from the time the stream was
//     made (natssse's default), so that a stream made again, after the
//     broker lost its store, numbers above the old one. The event is published on condition that the
//     stream's sequence has not moved since the data was built for the
//     next one; when another instance's event came first, the board builds
//     it again for the new next.
//
// A post made on instance A reaches the pages of instance B as an event;
// B does not store it (GET /api/posts on B does not list it, and
// GET /api/posts/{id} is a 404 there). The page shows what it read from
// GET /api/posts when it opened plus every post event since, by post id,
// so A's post stays on B's open pages until they reload.
//
// Any other method on these paths is a 405 with Allow. The API's errors
// answer {"error": "..."}. A state-changing request from another origin
// is a 403, whatever cookie it carries: one whose Sec-Fetch-Site is not
// same-origin (or none), same-site included (a sibling subdomain, another
// port), or, without that field, whose Origin's host and port are not the
// request's Host.
//
// Flags:
//
//	-addr host:port     where to listen (127.0.0.1:8080)
//	-tls                serve TLS with a self-signed certificate made at start
//	-cert f -key f      serve TLS with this certificate
//	-h2c                accept HTTP/2 in cleartext (not with -tls, where
//	                    HTTP/2 comes through ALPN)
//	-h3                 also serve HTTP/3 on UDP at the same port (with -tls)
//	-nats URL           keep sessions and events in JetStream on this NATS
//	                    broker
//	-nats-embed ADDR    start a NATS broker with JetStream at ADDR, and keep
//	                    them there
//	-attachments DIR    where attached files go (a temporary directory,
//	                    removed once the server has shut down, by default);
//	                    posts live in memory, so the files an earlier run
//	                    left there are removed at start: give each
//	                    instance a directory of its own
//
// Usage:
//
//	go run ./examples/board
//
// and open http://127.0.0.1:8080/. The server prints one line, "listening
// on http://ADDR", and shuts down gracefully on SIGINT or SIGTERM; a
// second one during the shutdown kills it at once.
//
// # Several instances
//
// Posts live in each process's memory (the newest 1,000); sessions can
// be shared. Two
// instances, the first running the broker:
//
//	go run ./examples/board -addr 127.0.0.1:8081 -nats-embed 127.0.0.1:4222
//	go run ./examples/board -addr 127.0.0.1:8082 -nats nats://127.0.0.1:4222
//
// A login on one is a login on both, and a logout on one ends it on both;
// each lists its own posts, and a new post on either appears live on the
// pages of both.
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
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts the graceful shutdown, which may wait
	// shutdownTimeout for a request in flight. The signals' default
	// handling is restored before run sees it, so that a second one
	// kills the process at once instead of being swallowed meanwhile.
	ctx, cancel := context.WithCancel(context.Background())
	context.AfterFunc(sigCtx, func() {
		stop()
		cancel()
	})
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	cancel()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // -h printed the usage: as flag.ExitOnError exits
		}
		var ue *usageError
		if errors.As(err, &ue) && ue.printed {
			os.Exit(2) // the flag package wrote it, with the usage
		}
		fmt.Fprintln(os.Stderr, "board:", err)
		if ue != nil {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
