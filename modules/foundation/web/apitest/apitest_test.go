package apitest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// echo answers with what the request carried, sets the session cookie on /login and
// expires it on /logout.
func echo(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		http.SetCookie(w, &http.Cookie{Name: apitest.SessionCookie, Value: "s1"})
	case "/logout":
		http.SetCookie(w, &http.Cookie{Name: apitest.SessionCookie, Value: "", MaxAge: -1})
	case "/list":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"n":1},{"n":2}]`)
		return
	case "/fail":
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"error":{"code":"forbidden","message":"no"}}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	cookie, _ := r.Cookie(apitest.SessionCookie)
	seen := map[string]string{"host": r.Host, "csrf": r.Header.Get("X-CSRF-Token"),
		"type": r.Header.Get("Content-Type"), "body": string(body), "accept": r.Header.Get("Accept")}
	if cookie != nil {
		seen["cookie"] = cookie.Value
	}
	_ = json.NewEncoder(w).Encode(seen)
}

// handler is a Target over a plain http.Handler, the way fiber's App.Test serves a request.
type handler struct{ http.HandlerFunc }

func (h handler) Test(req *http.Request, _ ...int) (*http.Response, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func TestClientKeepsTheSessionAndSendsCSRFOnlyWhereItBelongs(t *testing.T) {
	c := apitest.New(t, handler{echo}, "selangor.example.test")
	c.Header.Set("Accept", "application/json")
	c.Get("/login")
	if c.Cookie != "s1" {
		t.Fatalf("cookie after login = %q, want s1", c.Cookie)
	}
	c.CSRF = "tok"

	r := c.Post("/x", map[string]int{"a": 1})
	want := map[string]any{"host": "selangor.example.test", "csrf": "tok", "type": "application/json",
		"body": `{"a":1}`, "cookie": "s1", "accept": "application/json"}
	for k, v := range want {
		if r.Body[k] != v {
			t.Errorf("JSON post: %s = %v, want %v", k, r.Body[k], v)
		}
	}
	if r := c.Get("/x"); r.String("csrf") != "" {
		t.Errorf("a GET carried the CSRF token %q", r.String("csrf"))
	}
	if r := c.Post("/x", map[string]int{}, apitest.NoCSRF); r.String("csrf") != "" {
		t.Errorf("NoCSRF still sent %q", r.String("csrf"))
	}
	form := c.Post("/x", url.Values{"csrf_token": {"tok"}})
	if form.String("csrf") != "" || form.String("type") != "application/x-www-form-urlencoded" || form.String("body") != "csrf_token=tok" {
		t.Errorf("form post = %s; want the token as a field only", form.Raw)
	}
	upload := apitest.Raw{ContentType: "multipart/form-data; boundary=x", Data: []byte("--x--\r\n")}
	if r := c.Post("/x", upload); r.String("csrf") != "" || r.String("type") != upload.ContentType {
		t.Errorf("multipart form = %s; want its own type and no CSRF header", r.Raw)
	}
	upload.CSRFHeader = true
	if r := c.Post("/x", upload); r.String("csrf") != "tok" {
		t.Errorf("multipart with CSRFHeader = %s; want the header", r.Raw)
	}
	if r := c.Get("/x", apitest.WithHeader("Accept", "text/html")); r.String("accept") != "text/html" {
		t.Errorf("WithHeader: accept = %q", r.String("accept"))
	}

	if r := c.Get("/x", apitest.WithCookie(&http.Cookie{Name: apitest.SessionCookie, Value: "other"})); r.String("cookie") != "s1" {
		t.Errorf("WithCookie must add to, not replace, the session cookie: %s", r.Raw)
	}
	if r := c.Get("/login"); len(r.Cookies) != 1 || r.Cookies[0].Value != "s1" {
		t.Errorf("answer cookies = %v", r.Cookies)
	}

	c.Get("/logout")
	if c.Cookie != "" {
		t.Errorf("cookie after logout = %q, want none", c.Cookie)
	}
}

func TestResponseDecodesListsAndErrors(t *testing.T) {
	c := apitest.New(t, handler{echo}, "pahang.example.test")
	if l := c.Get("/list").List; len(l) != 2 || l[1]["n"] != float64(2) {
		t.Errorf("list = %v", l)
	}
	r := c.Get("/fail")
	apitest.Expect(t, r, http.StatusForbidden, "forbidden")
	if r.Code() != "forbidden" {
		t.Errorf("code = %q", r.Code())
	}
}

func TestRemoteKeepsTheHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	c := apitest.New(t, apitest.Remote{Base: srv.URL}, "kedah.example.test")
	if r := c.Get("/x"); r.Status != http.StatusOK || r.String("host") != "kedah.example.test" {
		t.Errorf("remote = %d %s", r.Status, r.Raw)
	}
}

func TestWaitWithinReturnsOnceTheConditionHolds(t *testing.T) {
	start := time.Now()
	took := apitest.WaitWithin(t, time.Second, "60 ms to pass", func() bool { return time.Since(start) > 60*time.Millisecond })
	if took < 60*time.Millisecond || took > 500*time.Millisecond {
		t.Errorf("waited %s", took)
	}
}

func TestBufferTail(t *testing.T) {
	var b apitest.Buffer
	_, _ = b.Write([]byte("sebelum "))
	_, _ = b.Write([]byte("selepas"))
	if b.String() != "sebelum selepas" || b.Tail(7) != "…selepas" || b.Tail(100) != "sebelum selepas" {
		t.Errorf("String %q, Tail(7) %q", b.String(), b.Tail(7))
	}
}
