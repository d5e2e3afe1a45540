#pragma once
// The callers asleep on a synchronous driver (a sync Client's lane, a sync
// ClusterClient's SyncDriver), oldest first: an intrusive doubly linked list
// through members of each caller's request, so that queueing a caller never
// allocates. Prev, Next and Linked name those members; the list's two ends
// belong to the driver, which holds its lock around every change.
namespace valkey::detail {

template <auto Prev, auto Next, auto Linked, class T>
void link_back(T*& head, T*& tail, T& x) noexcept {
  x.*Linked = true;
  x.*Next = nullptr;
  x.*Prev = tail;
  if (tail) tail->*Next = &x;
  else head = &x;
  tail = &x;
}

// Does nothing when `x` is not in the list.
template <auto Prev, auto Next, auto Linked, class T>
void unlink(T*& head, T*& tail, T& x) noexcept {
  if (!(x.*Linked)) return;
  x.*Linked = false;
  if (x.*Prev) (x.*Prev)->*Next = x.*Next;
  else head = x.*Next;
  if (x.*Next) (x.*Next)->*Prev = x.*Prev;
  else tail = x.*Prev;
  x.*Prev = x.*Next = nullptr;
}

}  // namespace valkey::detail
