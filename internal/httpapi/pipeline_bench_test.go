package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
	"github.com/ingot-dev/ingot/signature"
)

// BenchmarkPipelineGetUser serves signed user/get calls through the whole
// handler (request log, metrics, authentication, decoding, a real SQLite
// read, the envelope) without a network, to show what one request costs.
func BenchmarkPipelineGetUser(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "ingot.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sealer, err := vault.New(testKey)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 4, 16, 12, 34, 56, 0, time.UTC)
	clock := func() time.Time { return now }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Config{Store: st, Sealer: sealer, Now: clock, Logger: log})
	defer svc.Close()
	h := httpapi.NewHandler(httpapi.Config{Service: svc, Now: clock, Logger: log})
	creds, err := svc.CreateProgram(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	serve := func(path string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/api/v4/"+path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("api_key", creds.APIKey)
		if _, err := signature.SignRequest(r, body, creds.HMACUsername, []byte(creds.HMACSecret), now); err != nil {
			b.Fatal(err)
		}
		r.RequestURI = "/api/v4/" + path
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		return w
	}
	w := serve("user/create", []byte(`{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com",`+
		`"phone_number":"+14155550123","address_one":"1 Main St","city":"San Francisco","state":"CA",`+
		`"postal_code":"94105","country":"US"}`))
	var created struct {
		Data struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || len(created.Data.Items) != 1 {
		b.Fatalf("create: %v %s", err, w.Body)
	}
	body := []byte(`{"user_id":"` + created.Data.Items[0].ID + `"}`)
	// Signing is the client's cost: prepare the request once and replay it.
	r := httptest.NewRequest(http.MethodPost, "/api/v4/user/get", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("api_key", creds.APIKey)
	if _, err := signature.SignRequest(r, body, creds.HMACUsername, []byte(creds.HMACSecret), now); err != nil {
		b.Fatal(err)
	}
	r.RequestURI = "/api/v4/user/get"
	b.ReportAllocs()
	for b.Loop() {
		req := r.Clone(ctx)
		req.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("get: %d %s", w.Code, w.Body)
		}
	}
}
