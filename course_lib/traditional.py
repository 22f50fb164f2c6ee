"""Simplified → Traditional Chinese (Taiwan phrasing), the one conversion the zh_TW edition is made with.

Below the catalog tooling on purpose: :mod:`course_lib.messages` (the run-time messages learners see) needs
only this, not :mod:`course_lib.i18n` (notebooks, catalogs, polib), and OpenCC is imported on first use.
"""

from __future__ import annotations

import functools
import re

# OpenCC's s2twp is right for general Taiwan phrasing (資料, 軟體, 記憶體, 執行緒, 批次, 迴歸). Where it is
# wrong for this course there are two kinds of fix.
#
# SOURCE_OVERRIDES: Simplified words taken out of OpenCC's hands, because its output cannot be told apart
# afterwards (激活 and 启用 both become 啟用; 视图 and 查看 both become 檢視) or because its phrase table
# reads them in another field (扩展 as a software "extension": 擴充套件; 移动数据 as "mobile data").
# Matched in the Simplified text, longest first; the rest of the text is converted by OpenCC around them.
SOURCE_OVERRIDES: list[tuple[str, str]] = [
    ("激活", "激活"),  # activation (激活值, 激活函數); s2twp writes 啟用, "enable", which 启用 also becomes
    ("视图", "視圖"),  # a tensor's view; s2twp writes 檢視, which 查看 ("look at", right there) also becomes
    # recurrent: 循環; a loop (训练循环) stays 迴圈, which s2twp writes for both
    ("循环神经网络", "循環神經網路"),
    ("循环网络", "循環網路"),
    ("循环模型", "循環模型"),
    ("循环编码器", "循環編碼器"),
    ("循环解码器", "循環解碼器"),
    ("循环层", "循環層"),
    ("扩展名", "副檔名"),  # a file extension (s2twp's own reading), before 扩展 below
    ("扩展", "擴展"),  # to scale, to extend; s2twp: 擴充套件 (a software "extension", wrong everywhere here)
    ("发布", "發布"),  # to release, to publish (s2twp: 釋出); 發布 is the common Taiwan word
    ("全局", "全域"),  # global (全域變數, 全域批次); s2twp: 全域性
    ("局部", "局部"),  # local (局部變數, 局部模式); s2twp: 區域性
    ("移动数据", "移動資料"),  # moving data; s2twp: 行動數據 ("mobile data")
    ("质量", "品質"),  # quality (the course never means physical mass); s2twp: 質量
    ("回调", "回呼"),  # callback; s2twp: 回撥 ("to dial back")
    ("实例", "實例"),  # instance (a spot instance, an instance of a class); s2twp: 例項
    ("映射", "映射"),  # to map, a mapping; s2twp: 對映
    ("打印", "列印"),  # print; s2twp leaves 打印出 as it is, and writes 列印 elsewhere
    # Read in the zh_TW text (issue 26's sample): s2twp's phrase table matches across a word boundary
    # (自动求|导出|发 -> 求匯出發, 上|复现 -> 上覆現, 上|复用 -> 上覆用), or keeps a mainland word
    ("求导", "求導"),  # 自動求導 (autograd)
    ("复现", "重現"),  # to reproduce (可重現); s2twp: 復現, or 覆現 after 上
    ("复用", "複用"),  # to reuse
    ("跟踪", "追蹤"),  # to track; 堆疊追蹤 (a stack trace)
    ("噪声", "雜訊"),  # noise (雜訊向量, 抽樣雜訊): Taiwan's word; s2twp keeps 噪聲
    ("仓库", "儲存庫"),  # a (git) repository
    ("站点", "網站"),  # a web site
    ("网络连接", "網路連線"),  # a network connection (s2twp's reading), before 连接 below
    ("连接", "連接"),  # to connect; 殘差連接, 全連接層 (s2twp: 連線, a network connection)
    ("构建", "建構"),  # to build (你將建構什麼, 建構詞表): Taiwan's 建構; s2twp keeps 構建
    ("自定义", "自訂"),  # custom (自訂層)
    ("仪表盘", "儀表板"),  # TensorBoard's dashboard
    ("教程", "教學"),  # a tutorial
    ("提示符", "提示字元"),  # pdb's prompt
    ("调用栈", "呼叫堆疊"),  # the call stack (s2twp: 呼叫棧)
    ("栈帧", "堆疊框"),  # a stack frame (s2twp: 棧幀)
    # a (Python) package: 套件; 包 stays in 打包, 包括, 包含, 眾包
    ("课程包", "課程套件"),
    ("配套包", "配套套件"),
    ("语言包", "語言套件"),
    ("所需的包", "所需的套件"),
    ("各个包", "各個套件"),
    ("随包附带", "隨套件附帶"),
    ("安装的包", "安裝的套件"),
    ("wheel 包", "wheel 套件"),
    ("隐状态", "隱藏狀態"),  # an RNN's hidden state
    ("返回", "傳回"),  # a function returns (傳回值); s2twp keeps 返回
    ("实现", "實作"),  # to implement, an implementation (s2twp: 實現, "to achieve")
    ("推理", "推論"),  # inference
    ("反馈", "回饋"),  # to feed back
    ("访问", "存取"),  # to access (s2twp: 訪問, "to visit")
    ("抛出异常", "拋出例外"),  # raise an exception (s2twp: 丟擲異常); an abnormal reading stays 異常讀數
    ("发生异常", "發生例外"),
]

# TW_OVERRIDES: replacements in the converted text, in order (longest first where they overlap): deep-learning
# terms s2twp gets wrong, and a few phrases its phrase table cuts in the wrong place.
TW_OVERRIDES: list[tuple[str, str]] = [
    ("超引數", "超參數"),  # hyperparameter: 參數 (parameter), not 引數 (a function's argument)
    ("引數", "參數"),  # a model's parameters are 參數 in Taiwan's ML writing too
    ("最佳化器", "優化器"),  # PyTorch's optimizer: 優化器 is the common Taiwan usage (torch.optim docs)
    # A function in the mathematical sense is 函數; s2twp writes 函式 (a function in a program, which
    # stays 函式: 輔助函式, 建構函式, 反向函式).
    ("損失函式", "損失函數"),
    ("激活函式", "激活函數"),
    ("目標函式", "目標函數"),
    ("密度函式", "密度函數"),
    ("似然函式", "似然函數"),
    ("調和函式", "調和函數"),
    ("二次函式", "二次函數"),
    ("線性函式", "線性函數"),
    ("逐元素函式", "逐元素函數"),
    ("sigmoid 函式", "sigmoid 函數"),
    # s2twp's phrase table matches across a word boundary: 小几 (a side table), 憑几 (an armrest), 影后 (a
    # film queen), 本里; what is meant is 縮小/幾個, 僅憑/幾百, 投影/後, 筆記本/裡.
    ("縮小几", "縮小幾"),
    ("僅憑几", "僅憑幾"),
    ("投影后", "投影後"),
    ("筆記本里", "筆記本裡"),
    ("下采樣", "下取樣"),  # downsampling, as s2twp's own 取樣 (sampling) and 上取樣
    ("併合並", "並合併"),  # 并合并 ("and merges"); s2twp: 併合並
    ("箇", "個"),  # s2twp's 箇中 ("therein") matches 一个|中间 and 10 个|中
    ("嚐試", "嘗試"),  # 首先尝试: s2twp's 先嚐 ("first taste")
    ("舍入", "捨入"),  # rounding
    ("下劃線", "底線"),  # an underscore
    ("粘", "黏"),  # to stick (黏在, 黏回去)
    ("該函式在那裡", "該函數在那裡"),  # notebook 10: the mathematical function log(1 - σ(D(G(z))))
    ("逐元素的函式", "逐元素的函數"),
]

# Patterns in the converted text: 并 ("and": 並為, 並除以) is 並; s2twp writes 併 ("to merge") for some, right
# only in 合併, 吞併, 兼併, 歸併, 併入, 併購. 函數 where the mathematical sense shows. 透過 for "by means of".
TW_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?<![合吞兼歸])併(?![入購發存])"), "並"),  # 并 "and" (並為, 並除以); 合併 keeps 併
    (re.compile(r"函式值(?!得)"), "函數值"),  # a function's value; not in 輔助函式值得保留 ("worth keeping")
    (re.compile(r"函式(?= ?\$)"), "函數"),  # a function followed by its formula: 函數 $f: \mathbb{R}^n ...$
    (re.compile(r"(?<=` )包(?=[的一裡」”，。])"), "套件"),  # `pytorch-cuda` 包的教程: a package named in code
    # a software library (BLAS 函式庫, 原生函式庫, 隨函式庫附帶); 語料庫, 資料庫, 儲存庫, 題庫 stay
    (re.compile(r"(?:(?<=[A-Za-z0-9`] )|(?<=[的隨生學]))庫"), "函式庫"),
    # 通過 is "to pass" (檢查未通過, 也能通過。); "by means of, through" is 透過 in Taiwan
    (re.compile(r"(?<![未沒否難能])通過(?![了率的，。：；、！？）」』]|\s*\Z|\s*\n\s*\n)"), "透過"),
]

# Taiwan's quotation marks: 「」 outside, 『』 inside (zh_CN writes “” and ‘’). A ’ between two Latin
# letters is an apostrophe (PyTorch’s) and stays.
_QUOTES = [(re.compile("“"), "「"), (re.compile("”"), "」"), (re.compile("‘"), "『"),
           (re.compile("(?<![A-Za-z])’|’(?![A-Za-z])"), "』")]

# What is never converted: fenced code blocks, inline code (a run of N backticks up to the next run of
# exactly N), display math $$…$$, inline math $…$ and a link's target. Inline math may wrap a line (a
# paragraph re-wrapped inside a formula) but never crosses a blank line; an escaped \$ is a dollar sign.
# Matched left to right, so the first "$" opens a formula and the next one closes it: a pattern that
# skipped a formula it could not match would pair that formula's closing "$" with the next formula's
# opening one and leave the prose between them unconverted (issue 26: notebook 14's exercise text).
_PROTECTED = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})[^\n]*\n(?:.*?\n)??[ \t]*(?P=fence)[`~]*[ \t]*(?:\n|\Z)"  # fenced code
    r"|(?P<ticks>`+)(?!`).*?(?<!`)(?P=ticks)(?!`)"  # inline code, any number of backticks
    r"|(?<!\\)\$\$.+?(?<!\\)\$\$"  # display math
    r"|(?<![\\$])\$(?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?\$"  # inline math, may wrap a line
    r"|\]\([^)]*\)",  # a link's target
    re.S | re.M,
)


def split_protected(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into ``(part, protected)`` pieces: code, math and link targets are protected.

    >>> split_protected("设 $x =\\ny$，用 `f(x)` 计算")
    [('设 ', False), ('$x =\\ny$', True), ('，用 ', False), ('`f(x)`', True), (' 计算', False)]
    """
    parts, pos = [], 0
    for m in _PROTECTED.finditer(text):
        if m.start() > pos:
            parts.append((text[pos:m.start()], False))
        parts.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("s2twp")


_SOURCE = dict(SOURCE_OVERRIDES)
_SOURCE_WORDS = re.compile("|".join(re.escape(w) for w in sorted(_SOURCE, key=len, reverse=True)))


def _convert(prose: str) -> str:
    """Prose (no code, no math) converted: OpenCC around the source overrides, then TW_OVERRIDES."""
    pieces, pos = [], 0
    for m in _SOURCE_WORDS.finditer(prose):
        pieces += [_opencc().convert(prose[pos:m.start()]), _SOURCE[m.group()]]
        pos = m.end()
    pieces.append(_opencc().convert(prose[pos:]))
    text = "".join(pieces)
    for wrong, right in TW_OVERRIDES:
        text = text.replace(wrong, right)
    return text


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese with Taiwan phrasing (OpenCC ``s2twp``) and the course's
    overrides, and Taiwan's quotation marks. Code, formulas and link targets are left exactly as they are.

    >>> to_traditional("张量的梯度")
    '張量的梯度'
    >>> to_traditional("“扩展规模与发布模型”，激活值的视图")
    '「擴展規模與發布模型」，激活值的視圖'
    """
    out, prose = [], []
    for part, protected in split_protected(text):
        converted = part if protected else _convert(part)
        if not protected:
            start = sum(map(len, out))
            prose.append((start, start + len(converted)))
        out.append(converted)
    # The patterns see the whole text (函式 before a formula, 通過 before code) and change only prose.
    converted = "".join(out)
    for pattern, right in TW_PATTERNS + _QUOTES:
        for m in reversed(list(pattern.finditer(converted))):  # from the end: earlier offsets stay valid
            if any(a <= m.start() and m.end() <= b for a, b in prose):
                new = m.expand(right)
                converted = converted[:m.start()] + new + converted[m.end():]
                shift = len(new) - len(m.group())
                prose = [(a + shift * (a > m.start()), b + shift * (b >= m.end())) for a, b in prose]
    return converted
