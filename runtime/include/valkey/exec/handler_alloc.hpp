#pragma once
// Memory for an asynchronous operation from its completion handler's
// associated allocator, as Asio's own operations get theirs: a user's
// allocator bound to the handler serves the request, and without one the
// operation's `Default` does (Asio's per-thread recycling allocator for a
// single node's AsyncOp, op_memory's blocks for a cluster's ClusterOp).
// The memory goes back before the handler runs.
#include <memory>
#include <new>
#include <utility>

#include <asio/associated_allocator.hpp>

namespace valkey::exec {

// `handler`'s allocator (else Default), rebound to Op.
template <class Op, class Default, class Handler>
auto op_allocator(const Handler& handler) {
  using Alloc = asio::associated_allocator_t<Handler, Default>;
  return typename std::allocator_traits<Alloc>::template rebind_alloc<Op>(
      asio::get_associated_allocator(handler, Default()));
}

// Constructs Op(args...) in memory from `handler`'s allocator, read before
// `args` (which may move the handler itself into the operation).
template <class Op, class Default, class Handler, class... Args>
Op* new_op(const Handler& handler, Args&&... args) {
  auto alloc = op_allocator<Op, Default>(handler);
  Op* p = std::allocator_traits<decltype(alloc)>::allocate(alloc, 1);
  try {
    return new (p) Op(std::forward<Args>(args)...);
  } catch (...) {
    std::allocator_traits<decltype(alloc)>::deallocate(alloc, p, 1);
    throw;
  }
}

// Destroys `op` and returns its memory to the allocator of `handler`, the
// operation's own (read before the operation is destroyed).
template <class Op, class Default, class Handler>
void delete_op(Op* op, const Handler& handler) noexcept {
  auto alloc = op_allocator<Op, Default>(handler);
  op->~Op();
  std::allocator_traits<decltype(alloc)>::deallocate(alloc, op, 1);
}

}  // namespace valkey::exec
