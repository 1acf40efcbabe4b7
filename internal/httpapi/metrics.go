package httpapi

import (
	"net/http"
	"strconv"
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
}

// NewMetrics registers ingot's series and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
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
	m.reg.MustRegister(m.requests, m.latency, m.inFlight, m.store,
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
	m.requests.WithLabelValues(pattern, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(pattern).Observe(d.Seconds())
}
