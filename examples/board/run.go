package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/static"
)

// shutdownTimeout bounds the graceful shutdown once ctx is done.
const shutdownTimeout = 10 * time.Second

// run serves the board until ctx is done, then shuts it down gracefully.
// It writes one line to stdout, "listening on http://ADDR" (https:// with
// TLS), once it accepts connections, and returns nil after a clean
// shutdown. Everything it started (the broker, the temporary attachments
// directory) is gone when it returns, so tests run it in-process.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return err
	}
	var release []func() // in the order acquired; run in reverse
	defer func() {
		for i := len(release) - 1; i >= 0; i-- {
			release[i]()
		}
	}()

	dir := cfg.attachments
	if dir == "" {
		if dir, err = os.MkdirTemp("", "board-attachments-"); err != nil {
			return err
		}
		release = append(release, func() { os.RemoveAll(dir) })
	} else if n, err := removeEarlierFiles(dir); err != nil {
		return err
	} else if n > 0 {
		slog.Info("board: removed the files of an earlier run, which no post names", "dir", dir, "files", n)
	}
	if err := os.MkdirAll(filepath.Join(dir, spoolDir), 0o750); err != nil {
		return err
	}
	// Names are random and never reused, so no file has a precompressed
	// sibling to look for.
	files, err := static.Dir(dir, static.Config{CacheControl: attachmentCacheControl, DisablePrecompressed: true})
	if err != nil {
		return err
	}
	release = append(release, func() { files.Close() })
	js, closeNATS, err := openNATS(cfg.natsURL, cfg.natsEmbed)
	if err != nil {
		return err
	}
	release = append(release, closeNATS)
	store, closeStore, err := openSessionStore(ctx, js)
	if err != nil {
		return err
	}
	release = append(release, closeStore)
	// The broker closes after the container's shutdown has ended its
	// streams, and before the NATS connection its log uses.
	events, err := openEvents(ctx, js)
	if err != nil {
		return err
	}
	release = append(release, func() { events.Close() })

	brd := &board{publish: postPublisher(events), unpublish: deletionPublisher(events)}
	a := &app{board: brd, dir: dir, files: files, sessions: store, events: events, log: slog.Default()}
	c, err := a.newContainer(cfg.containerOptions(tlsCfg)...)
	if err != nil {
		return err
	}
	return serve(ctx, c, cfg, tlsCfg, stdout)
}

// serve listens where cfg says, announces it on stdout, and serves c until
// ctx is done.
func serve(ctx context.Context, c *container.Container, cfg config, tlsCfg *tls.Config, stdout io.Writer) error {
	var l net.Listener
	var pc net.PacketConn
	var err error
	if cfg.h3 {
		l, pc, err = h3.Listen(cfg.addr) // TCP and UDP on one port
	} else {
		l, err = net.Listen("tcp", cfg.addr)
	}
	if err != nil {
		c.Close()
		return err
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, l.Addr())

	served := make(chan error, 1)
	go func() {
		switch {
		case pc != nil:
			// 0-RTT data can be replayed by whoever captured it. h3
			// holds a post, a deletion or an upload that came early
			// until the handshake completes, which a replay never
			// does, but runs a GET at once, for each replay: the
			// board's GETs have no effects, yet it refuses 0-RTT all
			// the same, so that no request of a returning client is
			// run from data that can be replayed, at the cost of a
			// round trip.
			served <- h3.ServeTLS(c, l, pc, tlsCfg, h3.Config{Disable0RTT: true})
		case tlsCfg != nil:
			served <- c.ServeTLS(l, "", "") // the certificate is in the container's tls.Config
		default:
			served <- c.Serve(l)
		}
	}()
	select {
	case err := <-served:
		c.Close()
		return err // the server failed before anyone asked it to stop
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := c.Shutdown(sctx); err != nil {
		c.Close()
		<-served
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, container.ErrServerClosed) {
		return err
	}
	return nil
}
