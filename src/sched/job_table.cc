#include "sched/job_table.h"

#include <fmt/format.h>

namespace reelq {

std::string take_name(const JobRow& j) {
  std::string name = j.takes > 1 ? fmt::format("{} take {}", j.job_id, j.take) : j.job_id;
  return j.foreign() ? fmt::format("{} of batch {}", name, j.foreign_batch) : name;
}

size_t JobTable::add(JobRow row, RenderModel::ClassId cls, int lane) {
  size_t i = m_jobs.size();
  m_by_row.emplace(row.id, i);
  RunJob j;
  j.row = std::move(row);
  j.cls = cls;
  j.lane = lane;
  m_jobs.push_back(std::move(j));
  m_line.push_back(Line::none);
  if (static_cast<size_t>(cls) >= m_ready.size()) {
    m_ready.resize(static_cast<size_t>(cls) + 1);
    m_queued_by_class.resize(static_cast<size_t>(cls) + 1, 0);
  }
  index(i);
  return i;
}

void JobTable::index(size_t i) {
  const RunJob& j = m_jobs[i];
  const JobState s = j.row.state;
  if (s == JobState::running || s == JobState::submitting) {
    m_at_api.insert(i);
    m_foreign_at_api += j.ours() ? 0 : 1;
    if (s == JobState::running && !j.row.task_id.empty()) {
      m_running_by_task[j.row.task_id] = i;
    }
  }
  if (!j.ours()) {
    return;
  }
  ++m_count[static_cast<size_t>(s)];
  if (s == JobState::queued) {
    ++m_queued_by_class[static_cast<size_t>(j.cls)];
    if (j.row.next_at > m_promoted_to) {
      m_waiting.emplace(j.row.next_at, i);
      m_line[i] = Line::waiting;
    } else {
      m_ready[static_cast<size_t>(j.cls)].emplace(j.row.position, j.row.take, i);
      m_line[i] = Line::ready;
    }
  }
}

void JobTable::unindex(size_t i) {
  const RunJob& j = m_jobs[i];
  const JobState s = j.row.state;
  if (s == JobState::running || s == JobState::submitting) {
    m_at_api.erase(i);
    m_foreign_at_api -= j.ours() ? 0 : 1;
    auto it = m_running_by_task.find(j.row.task_id);
    if (it != m_running_by_task.end() && it->second == i) {
      m_running_by_task.erase(it);
    }
  }
  if (!j.ours()) {
    return;
  }
  --m_count[static_cast<size_t>(s)];
  if (s == JobState::queued) {
    --m_queued_by_class[static_cast<size_t>(j.cls)];
  }
  if (m_line[i] == Line::waiting) {
    m_waiting.erase({j.row.next_at, i});
  } else if (m_line[i] == Line::ready) {
    m_ready[static_cast<size_t>(j.cls)].erase({j.row.position, j.row.take, i});
  }
  m_line[i] = Line::none;
}

void JobTable::promote(TimeMs now) {
  m_promoted_to = std::max(m_promoted_to, now);
  while (!m_waiting.empty() && m_waiting.begin()->first <= m_promoted_to) {
    size_t i = m_waiting.begin()->second;
    m_waiting.erase(m_waiting.begin());
    const RunJob& j = m_jobs[i];
    m_ready[static_cast<size_t>(j.cls)].emplace(j.row.position, j.row.take, i);
    m_line[i] = Line::ready;
  }
}

std::optional<size_t> JobTable::by_row(std::int64_t row) const {
  auto it = m_by_row.find(row);
  return it == m_by_row.end() ? std::nullopt : std::optional<size_t>(it->second);
}

std::optional<size_t> JobTable::running_task(const std::string& task_id) const {
  auto it = m_running_by_task.find(task_id);
  return it == m_running_by_task.end() ? std::nullopt : std::optional<size_t>(it->second);
}

std::vector<size_t> JobTable::ready_heads() const {
  std::vector<size_t> heads;
  for (const auto& line : m_ready) {
    if (!line.empty()) {
      heads.push_back(std::get<2>(*line.begin()));
    }
  }
  return heads;
}

std::optional<TimeMs> JobTable::next_ready_at() const {
  return m_waiting.empty() ? std::nullopt : std::optional<TimeMs>(m_waiting.begin()->first);
}

std::vector<size_t> JobTable::queued() const {
  std::vector<size_t> out;
  for (const auto& line : m_ready) {
    for (const auto& key : line) {
      out.push_back(std::get<2>(key));
    }
  }
  for (const auto& [at, i] : m_waiting) {
    out.push_back(i);
  }
  return out;
}

int JobTable::queued_in_class(RenderModel::ClassId cls) const {
  return static_cast<size_t>(cls) < m_queued_by_class.size() ? m_queued_by_class[static_cast<size_t>(cls)] : 0;
}

}  // namespace reelq
