package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/buildinfo"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/eventlog"
)

// The metrics operators alert on (deploy/prometheus/kubu-rules.yml and the
// Grafana dashboard use exactly these names; a test checks they exist).
var (
	descIntakeEvents = prometheus.NewDesc("kubu_intake_events_total",
		"Events taken in since the data dir was created, by protocol and outcome (accepted, rejected); durable counts.",
		[]string{"protocol", "outcome"}, nil)
	descIntakeBytes = prometheus.NewDesc("kubu_intake_bytes_total",
		"Bytes of accepted events since the data dir was created.", nil, nil)
	descAlerts = prometheus.NewDesc("kubu_alerts_total",
		"Alerts raised (detection, correlation, silence, ioc, retro-hunt), by level.", []string{"level"}, nil)
	descOpenAlerts = prometheus.NewDesc("kubu_alerts_open",
		"Alerts not yet closed, by level.", []string{"level"}, nil)
	descDetectLag = prometheus.NewDesc("kubu_detect_lag_seconds",
		"Age of the oldest stored event batch detection has not finished (0 when caught up).", nil, nil)
	descDetectPending = prometheus.NewDesc("kubu_detect_pending_batches",
		"Event batches detection has not finished.", nil, nil)
	descEventLogBytes = prometheus.NewDesc("kubu_event_log_bytes",
		"Bytes the event log retains.", nil, nil)
	descEventLogBatches = prometheus.NewDesc("kubu_event_log_batches",
		"Event batches the event log retains.", nil, nil)
	descEventLogMax = prometheus.NewDesc("kubu_event_log_max_bytes",
		"The event log's size limit (--event-max-bytes); the oldest events go beyond it.", nil, nil)
	descEvaluated = prometheus.NewDesc("kubu_detect_events_evaluated_total",
		"Events this node's detection workers have matched against the rules since it started.", nil, nil)
	descIntakeBusy = prometheus.NewDesc("kubu_intake_busy",
		"1 while intake answers busy because detection lags past --intake-max-lag or --intake-max-lag-events (back-pressure), else 0.", nil, nil)
	descIntakeBusyAnswers = prometheus.NewDesc("kubu_intake_busy_answers_total",
		"Intake requests answered busy (and syslog TCP/TLS reads paused) because detection lagged, by protocol, since this node started.",
		[]string{"protocol"}, nil)
	descBuild        = prometheus.NewDesc("kubu_build_info", "kubu's version (value 1).", []string{"version"}, nil)
	descScrapeErrors = prometheus.NewDesc("kubu_metrics_scrape_errors",
		"Parts of this scrape that failed (the database or event log did not answer).", nil, nil)
)

// metricsActor reads the counters for the metrics endpoint (the endpoint
// itself needs a wog-admin token).
var metricsActor = authz.Actor{UserID: "metrics", Email: "kubu metrics", Role: authz.WogAdmin}

// opsCollector reads kubu's state at each scrape: durable intake counts,
// alerts, detection lag and the event log.
type opsCollector struct {
	a   *App
	log atomic.Pointer[eventlog.Log] // set while serving
}

func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := 0
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, buildinfo.String())
	if st, err := c.a.Intake.Stats(ctx, metricsActor); err == nil {
		for _, p := range st.ByProtocol {
			ch <- prometheus.MustNewConstMetric(descIntakeEvents, prometheus.CounterValue, float64(p.EventsAccepted), p.Protocol, "accepted")
			ch <- prometheus.MustNewConstMetric(descIntakeEvents, prometheus.CounterValue, float64(p.EventsRejected), p.Protocol, "rejected")
		}
		ch <- prometheus.MustNewConstMetric(descIntakeBytes, prometheus.CounterValue, float64(st.BytesAccepted))
	} else {
		errs++
	}
	if rows, err := c.a.DB.R().QueryContext(ctx, `SELECT level, COUNT(*), SUM(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END) FROM alerts GROUP BY level`); err == nil {
		for rows.Next() {
			var level string
			var n, open int64
			if rows.Scan(&level, &n, &open) == nil {
				ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.CounterValue, float64(n), level)
				ch <- prometheus.MustNewConstMetric(descOpenAlerts, prometheus.GaugeValue, float64(open), level)
			}
		}
		if rows.Err() != nil {
			errs++
		}
		rows.Close()
	} else {
		errs++
	}
	press := c.a.Intake.Pressure()
	busy := 0.0
	if press.Busy {
		busy = 1
	}
	ch <- prometheus.MustNewConstMetric(descIntakeBusy, prometheus.GaugeValue, busy)
	for proto, n := range press.BusyAnswers {
		ch <- prometheus.MustNewConstMetric(descIntakeBusyAnswers, prometheus.CounterValue, float64(n), proto)
	}
	ch <- prometheus.MustNewConstMetric(descEvaluated, prometheus.CounterValue, float64(c.a.Detect.Evaluated()))
	if l := c.log.Load(); l != nil {
		if lag, err := l.ConsumerLag(ctx, detect.DetectDurable); err == nil {
			secs := 0.0
			if !lag.Oldest.IsZero() {
				secs = max(0, time.Since(lag.Oldest).Seconds())
			}
			ch <- prometheus.MustNewConstMetric(descDetectLag, prometheus.GaugeValue, secs)
			ch <- prometheus.MustNewConstMetric(descDetectPending, prometheus.GaugeValue, float64(lag.Pending))
		} else {
			errs++
		}
		if st, err := l.Stats(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(descEventLogBytes, prometheus.GaugeValue, float64(st.Bytes))
			ch <- prometheus.MustNewConstMetric(descEventLogBatches, prometheus.GaugeValue, float64(st.Messages))
			ch <- prometheus.MustNewConstMetric(descEventLogMax, prometheus.GaugeValue, float64(st.MaxBytes))
		} else {
			errs++
		}
	}
	ch <- prometheus.MustNewConstMetric(descScrapeErrors, prometheus.GaugeValue, float64(errs))
}

// jobFailures counts failed runs of the background jobs, by job.
var jobFailuresOpts = prometheus.CounterOpts{Name: "kubu_job_failures_total",
	Help: "Failed runs of kubu's background jobs (audit checkpoints, risk expiry, community clocks, session sweep…), by task."}

// registerOps adds the operational metrics to m.
func (m *Metrics) registerOps(a *App) {
	m.ops = &opsCollector{a: a}
	m.jobFailures = prometheus.NewCounterVec(jobFailuresOpts, []string{"task"})
	for _, task := range jobTasks { // every series exists from the start, so rate() and increase() see the first failure
		m.jobFailures.WithLabelValues(task)
	}
	m.Registry.MustRegister(m.ops, m.jobFailures)
}

// jobTasks are the background jobs' names (startJobs).
var jobTasks = []string{"audit checkpoint", "risk acceptance expiry", "community clocks", "community findings sync", "posture snapshot", "session sweep"}

// jobFailed counts a failed run of job.
func (m *Metrics) jobFailed(job string) {
	if m.jobFailures != nil {
		m.jobFailures.WithLabelValues(job).Inc()
	}
}
