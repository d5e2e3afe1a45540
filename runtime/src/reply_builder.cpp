#include <valkey/reply.hpp>

#include <algorithm>

namespace valkey {

namespace detail {

namespace {
// A header's count is only a claim until the bytes arrive: reserve at most
// this many children up front so a hostile "*67108864" costs nothing.
constexpr std::size_t kMaxReserve = 1024;
}  // namespace

void ReplyAssembler::reset() noexcept {
  frames_.clear();
  pending_attribute_.reset();
}

bool ReplyAssembler::element_done() {
  while (!frames_.empty()) {
    Frame& top = frames_.back();
    if (--top.remaining != 0) return false;
    if (top.attribute) {
      // Finished attribute: it goes onto the next value, and counts as no element.
      auto attribute = std::move(top.attribute);
      frames_.pop_back();
      if (pending_attribute_) {  // two attributes in a row: merge them
        for (auto& e : attribute->elements_) pending_attribute_->elements_.push_back(std::move(e));
      } else {
        pending_attribute_ = std::move(attribute);
      }
      return false;
    }
    frames_.pop_back();
  }
  return true;
}

bool ReplyAssembler::feed(const resp::Node& node, Reply& target) {
  using T = resp::Type;
  if (node.type == T::attribute) {
    auto attribute = std::make_shared<Reply>();
    attribute->type_ = T::attribute;
    const std::size_t children = 2 * node.aggregate_size;
    attribute->elements_.reserve(std::min(children, kMaxReserve));
    if (children == 0) {
      if (!pending_attribute_) pending_attribute_ = std::move(attribute);
      return false;
    }
    Reply* where = attribute.get();
    frames_.push_back(Frame{where, children, std::move(attribute)});
    return false;
  }

  Reply* slot;
  if (frames_.empty()) {
    target = Reply{};
    slot = &target;
  } else {
    slot = &frames_.back().reply->elements_.emplace_back();
  }
  slot->type_ = node.type;
  switch (node.type) {
    // The parser already read the numbers (and the boolean) into the node.
    case T::integer:
    case T::boolean: slot->integer_ = node.integer; break;
    case T::double_:
      slot->str_.assign(node.value);
      slot->real_ = node.number;
      break;
    default:
      if (!resp::is_aggregate(node.type)) slot->str_.assign(node.value);
  }
  if (pending_attribute_) slot->attribute_ = std::move(pending_attribute_);

  if (resp::is_aggregate(node.type)) {
    const std::size_t children = resp::child_count(node.type, node.aggregate_size);
    if (children != 0) {
      slot->elements_.reserve(std::min(children, kMaxReserve));
      frames_.push_back(Frame{slot, children, nullptr});
      return false;
    }
  }
  return element_done();
}

}  // namespace detail

void ReplyBuilder::on_node(const resp::Node& node) {
  done_ = false;
  assembler_.feed(node, reply_);
}

Reply ReplyBuilder::take() {
  Reply r = std::move(reply_);
  reset();
  return r;
}

void ReplyBuilder::reset() noexcept {
  assembler_.reset();
  reply_ = Reply{};
  done_ = false;
}

}  // namespace valkey
