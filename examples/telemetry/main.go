// Command telemetry serves a few endpoints behind Wharf's OpenTelemetry
// filter, with the OpenTelemetry SDK wired to a Prometheus exporter at
// /metrics and, with -trace-log, every finished span written to the log.
//
// Endpoints:
//
//	GET /hello?name=N   200 "Hello, N!"
//	GET /delay?ms=M     suspends the request M ms (a span event on suspend
//	                    and on resume; counted in wharf_server_suspended_requests)
//	GET /fail           503, an error span
//	GET /metrics        the Prometheus text format: http_server_request_duration_seconds,
//	                    http_server_active_requests, wharf_server_suspended_requests,
//	                    wharf_executor_{workers,busy,queued}
//
// Usage:
//
//	go run ./examples/telemetry -addr 127.0.0.1:8080 -trace-log
//	curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' 'http://127.0.0.1:8080/delay?ms=100'
//	curl http://127.0.0.1:8080/metrics
package main

import (
	"flag"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/cli"
)

// command serves the container of app.go; the tests run it in-process.
var command = cli.Command{Name: "telemetry", Flags: func(fs *flag.FlagSet) cli.Builder {
	traceLog := fs.Bool("trace-log", false, "write every finished span to the log (stderr)")
	return func(opts ...container.Option) (*container.Container, func(), error) {
		c, shutdown := newContainer(*traceLog, opts...)
		return c, shutdown, nil // run calls shutdown after the container's
	}
}}

func main() { command.Main() }
