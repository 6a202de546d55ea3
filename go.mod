module github.com/wharf-go/wharf

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/klauspost/compress v1.20.3
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
)

require github.com/gorilla/websocket v1.5.3 // indirect
