package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web"
)

// serveHealth answers the orchestrator's probes of a process that serves no web traffic
// (worker, scheduler) on health.listen: /healthz says the process is alive and never looks at
// a dependency (a restart would not bring Redis back), /readyz runs checks as serve's does.
// With health.listen empty (local runs, where worker and scheduler share one machine) it
// serves nothing. The returned func stops it.
func serveHealth(rt *runtime, checks ...web.Checker) (func(), error) {
	if rt.cfg.Health.Listen == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, result := web.Readiness(r.Context(), rt.log, checks)
		writeJSON(w, status, result)
	})
	return serveSide(rt, rt.cfg.Health.Listen, "health.listen", mux)
}

// serveSide serves handler on a listener of its own beside the process's main work (the
// probes, the metrics) until the returned func stops it.
func serveSide(rt *runtime, addr, key string, handler http.Handler) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, key, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			rt.log.Error("listener stopped", "config", key, "err", err)
		}
	}()
	rt.log.Info("serving", "config", key, "listen", addr)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
