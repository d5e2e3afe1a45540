// Replies of a fan-out combined by the command's response_policy, a combined
// reply replayed into a typed decoder, and an encoded command read back into
// its arguments for routing.
#include <valkey/cluster/router.hpp>

#include <algorithm>
#include <string>

namespace valkey::cluster {

namespace {

const Reply* first_error(const std::vector<Reply>& replies) {
  for (const Reply& r : replies)
    if (r.is_error()) return &r;
  return nullptr;
}

bool numeric(const Reply& r) { return r.is_integer() || r.is_double() || r.is_bool(); }

// Folds scalars (integers, or doubles when any is one) with `op`; nullopt
// when a reply is not a number.
template <class Op>
std::optional<Reply> fold_scalars(const std::vector<const Reply*>& xs, Op op) {
  bool any_double = false;
  for (const Reply* x : xs) {
    if (!numeric(*x)) return std::nullopt;
    any_double = any_double || x->is_double();
  }
  if (any_double) {
    double acc = xs.front()->as_double();
    for (std::size_t i = 1; i < xs.size(); ++i) acc = op(acc, xs[i]->as_double());
    return Reply::double_(acc);
  }
  std::int64_t acc = xs.front()->is_bool() ? xs.front()->as_bool() : xs.front()->as_integer();
  for (std::size_t i = 1; i < xs.size(); ++i) acc = op(acc, xs[i]->is_bool() ? xs[i]->as_bool() : xs[i]->as_integer());
  return Reply::integer(acc);
}

// Scalars, or arrays of scalars element-wise.
template <class Op>
Reply aggregate(std::vector<Reply>& replies, Op op) {
  std::vector<const Reply*> xs;
  for (const Reply& r : replies) xs.push_back(&r);
  if (auto v = fold_scalars(xs, op)) return *v;
  const bool arrays = std::all_of(replies.begin(), replies.end(), [&](const Reply& r) {
    return r.is_array() && r.size() == replies.front().size();
  });
  if (!arrays) return Reply::error("ERR replies of a fanned-out command do not have the same shape to aggregate");
  std::vector<Reply> out;
  for (std::size_t i = 0; i < replies.front().size(); ++i) {
    std::vector<const Reply*> column;
    for (const Reply& r : replies) column.push_back(&r.elements()[i]);
    auto v = fold_scalars(column, op);
    if (!v) return Reply::error("ERR replies of a fanned-out command hold values that are not numbers");
    out.push_back(std::move(*v));
  }
  return Reply::array(std::move(out));
}

const char* aggregate_name(ResponsePolicy p) {
  switch (p) {
    case ResponsePolicy::agg_sum: return "sum";
    case ResponsePolicy::agg_min: return "minimum";
    case ResponsePolicy::agg_max: return "maximum";
    case ResponsePolicy::agg_logical_and: return "logical and";
    default: return "logical or";
  }
}

// The first error of an aggregate some nodes failed, with what the nodes
// that answered add up to, so a caller can still read the partial figure:
// "ERR boom (2 of 3 nodes answered; their sum: 42)". The error's prefix is
// the first error's, so it maps to the same error code.
template <class Op>
Reply partial_failure(ResponsePolicy policy, const Reply& error, std::vector<Reply>& replies, Op op) {
  std::vector<Reply> answered;
  for (Reply& r : replies)
    if (!r.is_error()) answered.push_back(std::move(r));
  if (answered.empty()) return error;
  const Reply partial = aggregate(answered, op);
  std::string figure;
  if (partial.is_integer()) figure = std::to_string(partial.as_integer());
  else if (partial.is_double()) figure = std::string(partial.raw());
  else return error;  // arrays or a shape that does not fold: the error alone
  std::string text = std::string(error.raw()) + " (" + std::to_string(answered.size()) + " of " +
                     std::to_string(replies.size()) + " nodes answered; their " + aggregate_name(policy) + ": " +
                     figure + ")";
  return error.type() == resp::Type::blob_error ? Reply::blob_error(std::move(text)) : Reply::error(std::move(text));
}

}  // namespace

Reply combine(ResponsePolicy policy, std::vector<Reply>& replies) {
  if (replies.empty()) return Reply::null();
  switch (policy) {
    case ResponsePolicy::all_succeeded:
      if (const Reply* e = first_error(replies)) return *e;
      return std::move(replies.front());
    case ResponsePolicy::one_succeeded:
      for (Reply& r : replies)
        if (!r.is_error()) return std::move(r);
      return std::move(replies.front());
    case ResponsePolicy::agg_sum:
    case ResponsePolicy::agg_min:
    case ResponsePolicy::agg_max:
    case ResponsePolicy::agg_logical_and:
    case ResponsePolicy::agg_logical_or: {
      const Reply* e = first_error(replies);
      auto fold = [&](auto op) { return e ? partial_failure(policy, *e, replies, op) : aggregate(replies, op); };
      switch (policy) {
        case ResponsePolicy::agg_sum: return fold([](auto a, auto b) { return a + b; });
        case ResponsePolicy::agg_min: return fold([](auto a, auto b) { return std::min(a, b); });
        case ResponsePolicy::agg_max: return fold([](auto a, auto b) { return std::max(a, b); });
        case ResponsePolicy::agg_logical_and:
          return fold([](auto a, auto b) { return static_cast<decltype(a)>((a != 0) && (b != 0)); });
        default: return fold([](auto a, auto b) { return static_cast<decltype(a)>((a != 0) || (b != 0)); });
      }
    }
    case ResponsePolicy::default_:
    case ResponsePolicy::special: {
      if (const Reply* e = first_error(replies)) return *e;
      const bool arrays = std::all_of(replies.begin(), replies.end(), [](const Reply& r) { return r.is_array(); });
      if (!arrays) return std::move(replies.front());
      std::vector<Reply> out;
      for (Reply& r : replies)
        for (const Reply& e : r.elements()) out.push_back(e);
      return Reply::array(std::move(out));
    }
  }
  return std::move(replies.front());
}

namespace {

void emit(const Reply& r, std::size_t depth, resp::Visitor& v) {
  resp::Node n{r.type(), 1, depth, {}, 0, 0};
  switch (r.type()) {
    case resp::Type::array:
    case resp::Type::set:
    case resp::Type::push:
    case resp::Type::map:
    case resp::Type::attribute:
      n.aggregate_size = r.size();
      n.integer = static_cast<std::int64_t>(r.size());
      v.on_node(n);
      for (const Reply& e : r.elements()) emit(e, depth + 1, v);
      return;
    case resp::Type::integer: {
      const std::string text = std::to_string(r.as_integer());
      n.value = text;
      n.integer = r.as_integer();
      v.on_node(n);
      return;
    }
    case resp::Type::double_:
      n.value = r.raw();
      n.number = r.as_double();
      v.on_node(n);
      return;
    case resp::Type::boolean:
      n.value = r.as_bool() ? "t" : "f";
      n.integer = r.as_bool() ? 1 : 0;
      v.on_node(n);
      return;
    default:
      n.value = r.raw();
      v.on_node(n);
      return;
  }
}

}  // namespace

void replay(const Reply& r, resp::Visitor& v) {
  emit(r, 0, v);
  v.on_message_end();
}

}  // namespace valkey::cluster
