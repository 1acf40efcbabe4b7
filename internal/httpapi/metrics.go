package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series ingot exports at GET /metrics. Each
// handler has its own registry, so tests (and several handlers in one
// process) never share counters.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge
	store    *prometheus.HistogramVec
	// Webhook deliveries (webhooks.md section 4): attempts by event type
	// and outcome, their latency by outcome, and, read at each scrape, the
	// queue of deliveries waiting and the age of the oldest.
	hookAttempts *prometheus.CounterVec
	hookLatency  *prometheus.HistogramVec
	queueOnce    sync.Once

	// series caches each (route, status)'s children of requests and
	// latency, so a request does not format its status and hash its labels
	// twice. It stays small: routes are ServeMux patterns and statuses are
	// the few the API answers with.
	mu     sync.RWMutex
	series map[routeStatus]routeSeries
}

type routeStatus struct {
	pattern string
	status  int
}

type routeSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// NewMetrics registers ingot's series and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		series: make(map[routeStatus]routeSeries),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ingot_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ingot_http_request_duration_seconds",
			Help:    "Time from receiving a request to finishing its answer, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ingot_http_requests_in_flight",
			Help: "Requests being served now.",
		}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ingot_store_query_duration_seconds",
			Help:    "Time spent in one store operation (a query or a whole transaction), by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"op"}),
	}
	m.hookAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ingot_webhook_attempts_total",
		Help: "Webhook delivery attempts, by event type and outcome (delivered; retry: failed, tried again later; failed: failed, given up).",
	}, []string{"event_type", "outcome"})
	m.hookLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ingot_webhook_attempt_duration_seconds",
		Help:    "Time one webhook delivery attempt took, from connecting to the answer, by outcome.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"outcome"})
	m.reg.MustRegister(m.requests, m.latency, m.inFlight, m.store, m.hookAttempts, m.hookLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveStore records one store operation; it is the store's hook.
func (m *Metrics) ObserveStore(op string, d time.Duration) {
	m.store.WithLabelValues(op).Observe(d.Seconds())
}

// Handler serves the registry in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// observe records one finished request. The route label is the ServeMux
// pattern that matched, never the raw path, so unknown paths cannot grow the
// number of series.
func (m *Metrics) observe(pattern string, status int, d time.Duration) {
	if pattern == "" {
		pattern = "unmatched"
	}
	k := routeStatus{pattern, status}
	m.mu.RLock()
	s, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		s = routeSeries{
			requests: m.requests.WithLabelValues(pattern, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(pattern),
		}
		m.mu.Lock()
		m.series[k] = s
		m.mu.Unlock()
	}
	s.requests.Inc()
	s.latency.Observe(d.Seconds())
}

// Attempt records one webhook delivery attempt; Metrics is the service's
// webhook observer (service.WebhookObserver).
func (m *Metrics) Attempt(eventType, outcome string, d time.Duration) {
	m.hookAttempts.WithLabelValues(eventType, outcome).Inc()
	m.hookLatency.WithLabelValues(outcome).Observe(d.Seconds())
}

// watchQueue exports the webhook queue, read from the store at each scrape
// (NaN when it cannot be read). Registered once per Metrics.
func (m *Metrics) watchQueue(queue func(ctx context.Context) (int, time.Duration, error)) {
	m.queueOnce.Do(func() {
		read := func() (float64, float64) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, age, err := queue(ctx)
			if err != nil {
				return math.NaN(), math.NaN()
			}
			return float64(n), age.Seconds()
		}
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "ingot_webhook_queue_depth",
				Help: "Webhook deliveries waiting for an attempt (due or scheduled for a retry), across programs; counts the events delivery jobs name, so a change's first-delivery job counts its events until the last is recorded.",
			}, func() float64 { n, _ := read(); return n }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "ingot_webhook_oldest_pending_seconds",
				Help: "Age of the oldest webhook delivery still waiting for an attempt; 0 when none waits.",
			}, func() float64 { _, age := read(); return age }),
		)
	})
}
