package web

import (
	"io"
	"net/http"
	"time"
)

// StreamIdle is how long a long transfer may stall before its connection is
// cut, once LongBody or LongResponse lifted the server's whole-request
// timeouts.
const StreamIdle = 2 * time.Minute

// LongBody lifts the server's whole-request timeouts (ReadTimeout and
// WriteTimeout, sized for ordinary requests) for a request whose body may
// take longer than they allow, such as evidence of many gigabytes: the read
// and write deadlines move forward as the body arrives, so only a body that
// stalls for idle is cut, and the answer after it still has idle to go out.
func LongBody(w http.ResponseWriter, r *http.Request, idle time.Duration) {
	d := &deadlines{rc: http.NewResponseController(w), idle: idle}
	d.extend(true)
	r.Body = &longBody{ReadCloser: r.Body, d: d}
}

// LongResponse returns a writer for an answer that may take longer to send
// than the server's WriteTimeout (an evidence file, a case bundle): the
// write deadline moves forward with every write, so only a reader that
// stalls for idle is cut.
func LongResponse(w http.ResponseWriter, idle time.Duration) io.Writer {
	d := &deadlines{rc: http.NewResponseController(w), idle: idle}
	d.extend(false)
	return &longResponse{w: w, d: d}
}

type deadlines struct {
	rc   *http.ResponseController
	idle time.Duration
	last time.Time
}

// extend moves the deadlines to idle from now, at most once a second.
// Servers that cannot set deadlines (ErrNotSupported) have none to lift.
func (d *deadlines) extend(read bool) {
	now := time.Now()
	if now.Sub(d.last) < time.Second {
		return
	}
	d.last = now
	if read {
		d.rc.SetReadDeadline(now.Add(d.idle))
	}
	d.rc.SetWriteDeadline(now.Add(d.idle))
}

type longBody struct {
	io.ReadCloser
	d *deadlines
}

func (b *longBody) Read(p []byte) (int, error) {
	b.d.extend(true)
	return b.ReadCloser.Read(p)
}

type longResponse struct {
	w http.ResponseWriter
	d *deadlines
}

func (l *longResponse) Write(p []byte) (int, error) {
	l.d.extend(false)
	return l.w.Write(p)
}
