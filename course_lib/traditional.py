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
    ("抛出", "拋出"),  # to raise, to throw (s2twp: 丟擲)
    # Fourth reading (about 190 messages of all 16 notebooks and 40 run-time checks, /tmp/notes/zhTW.md)
    ("复制", "複製"),  # to copy; s2twp: 從不復制 after 不 (不復, "no longer")
    ("数据", "資料"),  # data; s2twp cuts 1,000 个数据点 as 個數|據點 and leaves 數據
    ("数据源", "資料來源"),  # s2twp's own readings, which the word above would otherwise cut short
    ("元数据", "後設資料"),
    ("标量", "純量"),  # a scalar: Taiwan's 純量
    ("单元格", "儲存格"),  # a notebook cell, as Jupyter's own zh_TW interface writes it
    ("像素", "像素"),  # a pixel: 像素 in Taiwan's image-processing and ML texts; s2twp: 畫素 (camera specs)
    ("进程", "行程"),  # an OS process (工作行程, 子行程), as Taiwan's Python docs; s2twp: 程序 (a procedure)
    ("后台", "背景"),  # in the background; s2twp: 後臺 (backstage)
    ("正态", "常態"),  # the normal distribution: 常態分佈
    ("协方差", "共變異數"),  # covariance
    ("方差", "變異數"),  # variance
    ("获取", "取得"),  # to get, to fetch
    ("构件", "元件"),  # building blocks (基本元件)
    ("环境配置", "環境設定"),  # setting up the environment (notebook 00's title)
    ("运行", "執行"),  # to run; s2twp leaves 運行 in a few places
    ("示例", "範例"),  # an example
    ("列表", "串列"),  # a Python list, as Taiwan's Python docs (also ends the 列 = row/column muddle)
    ("简短的列表", "簡短的清單"),  # a short list shown to a user
    ("序列表示", "序列表示"),  # a sequence's representation, not a list: guards for 列表 above
    ("列表示", "欄表示"),  # "the column represents"
    ("词表示", "詞表示"),  # a word's representation, not 词表 (a vocabulary) below
    ("代码列表", "程式碼清單"),  # pdb's code listing
    ("脚本", "腳本"),  # a script; s2twp: 指令碼 (Microsoft's word, rare in Taiwan's ML writing)
    ("词组成", "詞組成"),  # 10 个词组成 ("made of ten words"); s2twp reads 詞組 (a phrase): 片語成
    ("并行", "平行"),  # parallel (資料平行, 張量平行); Taiwan's 並行 is "concurrent"
    ("流水线", "管線"),  # a pipeline (管線平行)
    ("置信区间", "信賴區間"),  # a confidence interval: Taiwan's statistics term
    ("调优", "調整"),  # tuned
    ("算力", "運算資源"),  # compute
    ("捕获", "捕捉"),  # to catch (捕捉 NaN, 捕捉輸出)
    ("滑动平均", "移動平均"),  # a moving average
    ("滑动均值", "移動均值"),
    ("滑动统计量", "移動統計量"),  # batch norm's running statistics, also written 运行统计量
    ("运行统计量", "移動統計量"),
    ("重复", "重複"),  # to repeat; s2twp: 並重復 after 并 (重復, "again")
    ("掩码", "遮罩"),  # a mask (填充遮罩, 因果遮罩), as Taiwan's 子網路遮罩 and image editors; s2twp: 掩碼
    ("词表", "詞彙表"),  # a vocabulary
    ("停用词表", "停用詞表"),  # a stop-word list
    ("自带", "內建"),  # built in, shipped with (scikit-image 內建的測試影像)
    ("打分", "評分"),  # to score
    ("终端", "終端機"),  # a terminal
    # s2twp's phrase table again, across a word boundary: 被|发送 -> 被髮 (hair), 一条|干净 -> 條幹 (a trunk),
    # 更|复杂 -> 更復 ("once more")
    ("发送", "傳送"),  # s2twp's own 傳送, which 被|发送 misses
    ("干净", "乾淨"),
    ("复杂", "複雜"),
    ("绑定", "綁定"),  # tied (weights); s2twp: 繫結 (Microsoft's "binding")
    ("墙钟", "掛鐘"),  # wall-clock (掛鐘時間, as the run-time messages write it); s2twp: 牆鍾
    ("黑塞", "海森"),  # Hessian (海森矩陣, 海森向量積)
    ("蒙特卡洛", "蒙地卡羅"),  # Monte Carlo
    ("错误信息", "錯誤訊息"),  # an error message (s2twp: 錯誤資訊)
    ("个人信息", "個人資料"),  # personal data (Taiwan's 個人資料保護法)
    ("互操作", "互通"),  # interoperating (與 NumPy 互通)
    ("关注者", "追蹤者"),  # a follower (in a social network)
    ("安装所有依赖", "安裝所有相依套件"),  # the dependencies (a package's)
    ("联网", "連網"),  # online, on the network
    ("克隆", "複製"),  # to clone (a repository), as GitHub's Taiwan docs
    ("面向任务", "任務導向"),  # task-oriented
    ("检测", "偵測"),  # to detect (異常偵測, 偵測器, 垃圾簡訊偵測): Taiwan's word in ML
    ("筛查项目", "篩檢計畫"),  # a screening programme; s2twp: 篩查專案 (a "project")
    ("筛查", "篩檢"),  # (cancer) screening
    ("工具栏", "工具列"),  # a toolbar; s2twp: 工具欄
    ("量纲", "單位"),  # the units of a column (溫度計 °C, 氣壓計 hPa); s2twp keeps 量綱
    ("地址", "位址"),  # a memory or network address
    ("局域网", "區域網路"),  # a LAN; s2twp: 區域網
    ("灰度", "灰階"),  # grayscale (灰階影像, 灰階值)
    ("灰度级", "灰階"),  # grey levels
    ("以流的形式", "以串流的形式"),  # a stream
    # a block of a network or of code: 區塊; a piece (小塊, 每塊, 斑塊, 一塊 GPU) stays 塊
    ("卷积块", "卷積區塊"),
    ("前馈块", "前饋區塊"),
    ("代码块", "程式碼區塊"),
    ("每个块", "每個區塊"),
    ("一个块", "一個區塊"),
    ("这些块", "這些區塊"),
    ("该块", "該區塊"),
    ("MaxPool 块", "MaxPool 區塊"),
    # Rows and columns. The mainland writes 行 for a row and 列 for a column; Taiwan the other way round
    # (列 a row, 行 a column in a matrix, 欄 a column of a table), so s2twp's characters read transposed.
    # Here: a row is 列, a column 欄 (tables, matrices, images), a column vector 行向量; a line of text or
    # code stays 行 (第 42 行, 逐行寫出, 其中的每一行, 每行一個詞).
    ("列向量", "行向量"),
    ("行向量", "列向量"),
    ("按行", "按列"),
    ("按列", "按欄"),
    ("各行", "各列"),
    ("各列", "各欄"),
    ("每行", "每列"),
    ("每行一个词", "每行一個詞"),  # a line of a text file
    ("每行代码", "每行程式碼"),  # a line of code stays 行
    ("每一行代码", "每一行程式碼"),
    ("该行代码", "該行程式碼"),
    ("每列", "每欄"),
    ("每一行", "每一列"),
    ("每一列", "每一欄"),
    ("其中的每一行", "其中的每一行"),  # every line of train.py
    ("该行", "該列"),
    ("该列", "該欄"),
    ("所在列", "所在欄"),
    ("所在的行", "所在的列"),
    ("所有行上", "所有列上"),
    ("占一列", "佔一欄"),
    ("只有一列", "只有一欄"),
    ("对应一列", "對應一欄"),
    ("对应一行", "對應一列"),
    ("两列", "兩欄"),
    ("几列", "幾欄"),
    ("十列", "十欄"),
    ("逐列", "逐欄"),
    ("逐行排列", "逐列排列"),
    ("逐行阅读混淆矩阵", "逐列閱讀混淆矩陣"),
    ("对应的行", "對應的列"),
    ("给定的行", "給定的列"),
    ("行：真实类别，列：预测类别", "列：真實類別，欄：預測類別"),
    ("行表示真实类别", "列代表真實類別"),
    ("行 = 查询位置，列 = 键位置", "列 = 查詢位置，欄 = 鍵位置"),
    ("行显示词元", "列顯示詞元"),
    ("列存放", "欄存放"),
    ("每对列", "每對欄"),
    ("CUDA 列", "CUDA 欄"),
    ("标签列", "標籤欄"),
    ("看看它那一行", "看看它那一列"),
    ("最初几行", "最初幾列"),
    ("看看第一行，", "看看第一列，"),
    ("选出一行", "選出一列"),
    ("MLP 那一行", "MLP 那一列"),
    ("查询行", "查詢列"),
    ("数据库中的行", "資料庫中的列"),
    ("相同的**行", "相同的**列"),
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
    ("進位制", "進位"),  # decimal, binary (十進位數字, 二進位格式); s2twp: 十進位制, 二進位制
    ("想表達的函式", "想表達的函數"),  # notebook 02: the mathematical function you meant
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
    # 只 ("only") is 只; s2twp writes the measure word 隻 after 是, 這, 多, 換 (是隻追加, 這隻會, 最多隻能)
    (re.compile(r"隻(?![貓狗鳥手腳眼])"), "只"),
    # A (Python) class is 類別 in Taiwan, as a category is; 每類, 兩類, 這類 ("kind") stay. After the
    # conversion, so that 同一个类别 (already 類別) is left alone.
    (re.compile(r"(?:(?<=` )|(?<=Python )|(?<=你的)|(?<=任何)|(?<=這個)|(?<=查詢)|(?<=定義的)|(?<=同樣的)"
                r"|(?<=同一個)|(?<=依賴))類(?![別型似比])|(?<=該)類(?=的情況)"), "類別"),
    # a row (列) or a column (欄) named by code or a number: 第 `i` 列是, 前 `z_dim` 欄是, 前 16 欄是,
    # 見 `epoch_s` 欄; 第 42 行 (a line of code) stays
    # also after a formula ($H$ 的第 $i$ 欄，); before 行 -> 列 below
    (re.compile(r"(?<=[`$] )列(?=[是為），])"), "欄"),
    (re.compile(r"(?<=` )行(?=是|的第)"), "列"),
    (re.compile(r"(?<=[0-9] )列(?=[是在])"), "欄"),
    (re.compile(r"(?<=：)列(?= `)"), "欄"),
    # bits: 位元 (32 位元浮點數, 10 位元尾數, 8 位元灰階值); digits stay 位 (7 位有效數字, 第二位數字)
    (re.compile(r"(?<=[0-9] )位(?=[尾指浮整型運執精灰]|或 [0-9]+ 位[尾指]|的更快格式)"), "位元"),
    (re.compile(r"(?<=第 i )行|(?<=第 [0-9] )行(?=：)|(?<=B·k )行"), "列"),
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
