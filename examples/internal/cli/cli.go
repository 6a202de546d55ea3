// Package cli owns the command-line scaffolding the example commands share.
// A Command's Main is the process entry point (SIGINT and SIGTERM, exit
// codes); its Run, which tests call in-process, owns the -addr, -tls, -cert,
// -key, -h2c and -h3 flags, the listener, the one line "listening on http://ADDR" (or
// https://) on stdout, serving the container, and its graceful shutdown when
// the context is done. Each example supplies only its name, its container
// and any flags of its own.
package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
)

// DefaultAddr is the default of the -addr flag.
const DefaultAddr = "127.0.0.1:8080"

// ShutdownTimeout bounds the graceful shutdown once the context is done.
const ShutdownTimeout = 10 * time.Second

// Command is an example command.
type Command struct {
	// Name names the flag set and prefixes the error Main prints.
	Name string

	// Build returns the container to serve, made with opts (TLS, from the
	// flags) added to its own options. It is called once the arguments are
	// parsed.
	Build func(opts ...container.Option) *container.Container

	// Flags, if not nil, is for a command with flags of its own and takes
	// the place of Build: it registers them on fs before the arguments are
	// parsed and returns the Builder of the container, which is called
	// after parsing and may read them.
	Flags func(fs *flag.FlagSet) Builder
}

// Builder builds a command's container after its flags are parsed, with
// opts (TLS, from the flags) added to its own options. It may also ready
// what the container's handlers use (a connection to a message broker,
// say): release, if not nil, gives that back once the container has shut
// down. An error ends Run before anything listens.
type Builder func(opts ...container.Option) (c *container.Container, release func(), err error)

// Main runs the command as the process: it calls Run with a context
// cancelled by SIGINT or SIGTERM (a second one kills the process), the
// process's arguments and os.Stdout,
// and exits with status 0 if Run returns nil or flag.ErrHelp (-h printed
// the usage, as flag.ExitOnError exits), 2 for a command line Run refused
// (as flag.ExitOnError exits; said once: the flag package's own refusals
// are printed by it), and otherwise 1 after printing "Name: err" on
// stderr.
func (cmd Command) Main() {
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts the graceful shutdown. The signals' default
	// handling is restored before Run sees it, so that a second one kills
	// the process at once rather than wait out ShutdownTimeout (a Ctrl-C
	// the shutdown would otherwise swallow).
	ctx, cancel := context.WithCancel(context.Background())
	context.AfterFunc(sigCtx, func() {
		stop()
		cancel()
	})
	err := cmd.Run(ctx, os.Args[1:], os.Stdout)
	stop()
	cancel()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // asked for: as flag.ExitOnError does
		}
		var ue *usageError
		if !errors.As(err, &ue) || !ue.printed {
			fmt.Fprintln(os.Stderr, cmd.Name+":", err)
		}
		if ue != nil {
			os.Exit(2) // a command line refused: as flag.ExitOnError exits
		}
		os.Exit(1)
	}
}

// usageError is a command line Run refuses: Main exits 2 on it, as
// flag.ExitOnError does, and prints it unless the flag package has
// already (printed), with the usage.
type usageError struct {
	err     error
	printed bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usage makes a usageError of a refusal the flag package did not print.
func usage(format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...)}
}

// Run parses args (-addr, -tls, -cert, -key and the command's own flags;
// any other argument is an error), listens, writes "listening on http://ADDR" (https:// with TLS) to stdout,
// serves the container until ctx is done, then shuts it down gracefully,
// waiting up to ShutdownTimeout. It returns nil after a clean shutdown.
func (cmd Command) Run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	addr := fs.String("addr", DefaultAddr, "TCP address to listen on")
	useTLS := fs.Bool("tls", false, "serve TLS (HTTP/1.1 and HTTP/2 through ALPN) with a self-signed certificate made at start, or with -cert and -key")
	certFile := fs.String("cert", "", "PEM certificate file for TLS (implies -tls; with -key)")
	keyFile := fs.String("key", "", "PEM private key file for TLS (with -cert)")
	h2c := fs.Bool("h2c", false, "accept HTTP/2 without TLS on the cleartext port (prior knowledge or Upgrade: h2c)")
	useH3 := fs.Bool("h3", false, "also serve HTTP/3 on UDP at the same port, advertised with Alt-Svc (needs -tls or -cert and -key)")
	build := func(opts ...container.Option) (*container.Container, func(), error) {
		return cmd.Build(opts...), nil, nil
	}
	if cmd.Flags != nil {
		build = cmd.Flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		// Parsing stops at the first argument that is not a flag: the
		// flags after it (an -addr, say) would be dropped in silence.
		return usage("unexpected arguments: %q", fs.Args())
	}
	if (*certFile == "") != (*keyFile == "") {
		return usage("-cert and -key go together")
	}
	secure := *useTLS || *certFile != ""
	if *useH3 && !secure {
		return usage("-h3 needs -tls (or -cert and -key)")
	}
	if *h2c && secure {
		// It would be taken and do nothing: the listener is TLS's, where
		// ALPN offers HTTP/2.
		return usage("-h2c is for a cleartext port; with -tls, HTTP/2 comes through ALPN")
	}
	var opts []container.Option
	var tlsCfg *tls.Config // the certificate, for TCP and HTTP/3 alike
	if secure {
		var cert tls.Certificate
		var err error
		if *certFile == "" {
			if cert, err = devcert.New(); err != nil {
				return fmt.Errorf("making a development certificate: %w", err)
			}
		} else if cert, err = tls.LoadX509KeyPair(*certFile, *keyFile); err != nil {
			return err
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}}
		opts = append(opts, container.WithTLSConfig(tlsCfg))
	}
	if *h2c {
		opts = append(opts, container.WithH2C())
	}
	c, release, err := build(opts...)
	if err != nil {
		return err
	}
	if release != nil {
		defer release() // after the container has shut down, or failed
	}
	var l net.Listener
	var pc net.PacketConn
	if *useH3 {
		l, pc, err = h3.Listen(*addr) // TCP and UDP on one port
	} else {
		l, err = net.Listen("tcp", *addr)
	}
	if err != nil {
		c.Close()
		return err
	}
	Vars(c)
	scheme := "http"
	if secure {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, l.Addr())

	served := make(chan error, 1)
	go func() {
		switch {
		case pc != nil:
			// TLS with HTTP/1.1 and HTTP/2, HTTP/3, and Alt-Svc on every
			// TCP answer, in one call.
			// No 0-RTT, as the board's -h3 refuses it too: h3 holds
			// the examples' POSTs (a chat's message, a published
			// event) that came early until the handshake completes,
			// which a replay never does, but would run a replayed
			// GET again (RFC 9001 §9.2).
			served <- h3.ServeTLS(c, l, pc, tlsCfg, h3.Config{Disable0RTT: true})
		case secure:
			served <- c.ServeTLS(l, "", "") // the certificate is in tlsCfg
		default:
			served <- c.Serve(l)
		}
	}()
	select {
	case err := <-served:
		c.Close()
		return err // a server failed before anyone asked it to stop
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := c.Shutdown(sctx); err != nil {
		// What the graceful shutdown did not end in time is ended now, as
		// docs/architecture.md says to do after a Shutdown that ran out of
		// time.
		c.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, connector.ErrServerClosed) {
		return err
	}
	return nil
}
