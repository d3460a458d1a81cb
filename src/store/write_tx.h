// WriteTx: a handle on one open write transaction of the store, passed to code that must change
// several things atomically (e.g. a pipeline step's effect together with its step mark).
//
// Use cases see only this opaque type; store ports (DocumentStore, StepStore, ...) accept it and
// their backend implementations downcast it to their own transaction type. A WriteTx is valid only
// inside the callback it was given to: never keep it.
#pragma once

#include <functional>

namespace scriptgen::store {

class WriteTx {
 public:
  virtual ~WriteTx() = default;
  // Runs fn after the transaction committed durably (not at all if it rolled back). Use it for
  // side effects outside the store: deleting files, publishing events.
  virtual void AfterCommit(std::function<void()> fn) = 0;
};

}  // namespace scriptgen::store
