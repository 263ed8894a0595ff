package app

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is kubu's Prometheus registry.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	ops         *opsCollector // intake, alerts, detection lag, event log (metrics_ops.go)
	jobFailures *prometheus.CounterVec
}

func newMetrics() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kubu_http_requests_total", Help: "HTTP requests by method and status code.",
	}, []string{"method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kubu_http_request_duration_seconds", Help: "HTTP request latency.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
	}, []string{"method"})
	m.Registry.MustRegister(m.requests, m.duration)
	return m
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return c.ResponseWriter.Write(b)
}

func (c *codeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &codeWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		method := r.Method
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
		default:
			method = "other"
		}
		m.requests.WithLabelValues(method, strconv.Itoa(cw.code)).Inc()
		m.duration.WithLabelValues(method).Observe(time.Since(start).Seconds())
	})
}

// levelShift lowers Info records to Debug (for chatty libraries).
type levelShift struct{ slog.Handler }

func (l levelShift) Enabled(ctx context.Context, lv slog.Level) bool {
	if lv == slog.LevelInfo {
		lv = slog.LevelDebug
	}
	return l.Handler.Enabled(ctx, lv)
}

func (l levelShift) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return l.Handler.Handle(ctx, r)
}
