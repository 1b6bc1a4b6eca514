"""Charts a coordinator can put in a report: one PNG per measure, 1040 px wide for a phone, Sarabun
throughout, full Thai labels wrapped between words, values on the bars, whole-number ticks for
counts. The caller supplies every word (already translated) but a few in the Likert and goal charts.

Nothing heavy is imported here: matplotlib and pythainlp load with the first chart."""

from bot.charts.bars import activities_by_aim, choice_counts, resources_by_channel
from bot.charts.goals import GoalRow, goal_progress
from bot.charts.likert import LikertRow, likert_chart
from bot.charts.scale import count_ticks, format_baht, format_number, value_ticks
from bot.charts.wrap import wrap_thai

__all__ = ["GoalRow", "LikertRow", "activities_by_aim", "choice_counts", "count_ticks", "format_baht",
           "format_number", "goal_progress", "likert_chart", "resources_by_channel", "value_ticks", "wrap_thai"]
