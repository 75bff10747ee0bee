package authz

import "testing"

// A reload empties the cache, and an answer computed before the reload (under the old
// policies) is not stored after it.
func TestDecisionCacheForgetsOnReload(t *testing.T) {
	d := newDecisionCache()
	k := decisionKey{"staff", "kelantan", "/api/v1/payslips/:year/:month", "GET"}
	if _, found, _ := d.get(k); found {
		t.Fatal("an empty cache answered")
	}
	_, _, gen := d.get(k)
	d.put(k, true, gen)
	if answer, found, _ := d.get(k); !found || !answer {
		t.Fatalf("stored answer: %v %v", answer, found)
	}

	_, _, before := d.get(decisionKey{"staff", "kelantan", "/home", "GET"})
	d.reset()
	if _, found, _ := d.get(k); found {
		t.Error("an answer survived the reload")
	}
	d.put(decisionKey{"staff", "kelantan", "/home", "GET"}, true, before)
	if _, found, _ := d.get(decisionKey{"staff", "kelantan", "/home", "GET"}); found {
		t.Error("an answer from before the reload was stored after it")
	}
}
