"""A synthetic RedNote crawl at the study's scale, in MediaCrawler's 2025 CSV format, for benchmarks.

    python -m rednote_affect.generate --posts 1862 --comments 403054 --seed 1 --out DIR [--increment N]

writes `DIR/search_contents_2025-01-20.csv` (notes) and `DIR/search_comments_2025-01-20.csv` (comments),
and with `--increment N` also `DIR/search_comments_2025-01-27.csv`: N new comments under the same posts,
crawled a week later.

How the crawl is made:
- Posts are by foreign users, spread over the 7 codebook themes, with theme vocabulary in title, desc, tags.
- Each comment gets a theme (its post's), a commenter group (chinese / foreign / unknown ip_location), an
  emotion drawn from theme- and group-specific weights, and a language (zh, en, or mixed). Its text is a new
  combination of hand-written bilingual fragments for that theme and emotion: opener, one or two bodies,
  slang, closer, emoji and xhs stickers. The latent theme and emotion are not written out; they only shape
  the text.
- Raw quirks as MediaCrawler writes them: 24-hex ids laid out like real xhs ids (8 hex seconds, 8 zeros,
  8 hex), millisecond epochs, counts as strings ("3642", "1.2万", "10+", "1万+", "None", ""),
  parent_comment_id "0" for top-level comments, re-crawl duplicate rows appended at the end, a few HTML
  entities and multi-line comments.
- Deterministic: the base crawl uses the random stream (seed, 0) and the increment the stream (seed, 1), so
  the base files are byte-identical whether or not an increment is asked for.

Row counts: the base comments file holds `comments` distinct comments plus `comments // 200` re-crawl
duplicates (0.5%); the increment file holds exactly `increment` rows, all new comments.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from rednote_affect.mediacrawler import write_export
from rednote_affect.progress import Progress

__all__ = [
    "BASE_COMMENTS_FILE",
    "EMOTIONS",
    "INCREMENT_COMMENTS_FILE",
    "NOTES_FILE",
    "THEMES",
    "generate_crawl",
    "main",
]

NOTES_FILE = "search_contents_2025-01-20.csv"
BASE_COMMENTS_FILE = "search_comments_2025-01-20.csv"
INCREMENT_COMMENTS_FILE = "search_comments_2025-01-27.csv"

THEMES = (
    "culture",
    "politics",
    "appearance",
    "daily_life",
    "language_learning",
    "platform_migration",
    "other",
)
EMOTIONS = (
    "joy",
    "curiosity",
    "praise",
    "pride",
    "gratitude",
    "warmth",
    "contempt",
    "anger",
    "disgust",
    "sadness",
    "fear",
    "neutral",
)

# ------------------------------------------------------------------------------------------------------------
# Calendar. Times are Beijing time (UTC+8), as RedNote shows them; files carry millisecond epochs.
# ------------------------------------------------------------------------------------------------------------
BEIJING = timezone(timedelta(hours=8))


def _epoch_ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=BEIJING).timestamp() * 1000)


HOUR_MS = 3_600_000
POSTS_FROM_MS = _epoch_ms(2025, 1, 13)  # the TikTok-refugee wave starts
POSTS_SURGE_UNTIL_MS = _epoch_ms(2025, 1, 16)
POSTS_UNTIL_MS = _epoch_ms(2025, 1, 19, 20)
BASE_CRAWL_MS = _epoch_ms(2025, 1, 20, 1)  # base crawl starts; every base comment is older
BASE_RECRAWL_MS = _epoch_ms(2025, 1, 20, 15)  # same-day re-crawl that appends duplicate rows
INCREMENT_CRAWL_MS = _epoch_ms(2025, 1, 27, 1)  # the week-later crawl
ACCOUNTS_FROM_MS = _epoch_ms(2016, 1, 1)
ACCOUNTS_UNTIL_MS = _epoch_ms(2024, 12, 31)
REFUGEE_ACCOUNTS_FROM_MS = _epoch_ms(2025, 1, 12)

# ------------------------------------------------------------------------------------------------------------
# Who comments. Shares are of comments, not of users.
# ------------------------------------------------------------------------------------------------------------
GROUP_CHINESE, GROUP_FOREIGN, GROUP_UNKNOWN, GROUP_POSTER = 0, 1, 2, 3
COMMENT_GROUP_SHARES = (0.71, 0.27, 0.02)  # chinese / foreign / empty ip_location
REPLY_SHARE = 0.26  # of comments that have an earlier comment to answer; ~25% of all comments
MAX_REPLY_DEPTH = 3  # root -> reply -> reply -> reply
POSTER_REPLY_SHARE = 0.10  # replies written by the post's author
DUPLICATE_DIVISOR = 200  # comments // 200 re-crawl duplicates: 0.5%

LANGUAGE_ZH, LANGUAGE_EN, LANGUAGE_ZH_MIXED, LANGUAGE_EN_MIXED = 0, 1, 2, 3
# Per group: shares of zh, en, zh body with English extras, en body with Chinese extras.
LANGUAGE_SHARES = {
    GROUP_CHINESE: (0.88, 0.04, 0.08, 0.00),
    GROUP_FOREIGN: (0.05, 0.84, 0.00, 0.11),
    GROUP_UNKNOWN: (0.60, 0.30, 0.05, 0.05),
    GROUP_POSTER: (0.00, 0.85, 0.00, 0.15),
}

# ip_location values (all in seeds/lookups/ip_location_identities.csv), weighted roughly by user numbers.
CHINESE_LOCATIONS = {
    "广东": 10,
    "山东": 6,
    "河南": 6,
    "江苏": 6,
    "浙江": 6,
    "四川": 5,
    "北京": 5,
    "上海": 5,
    "湖北": 4,
    "湖南": 4,
    "河北": 4,
    "福建": 3.5,
    "安徽": 3,
    "辽宁": 3,
    "陕西": 3,
    "重庆": 3,
    "广西": 2.5,
    "江西": 2.5,
    "云南": 2.5,
    "山西": 2,
    "黑龙江": 2,
    "贵州": 2,
    "天津": 2,
    "吉林": 1.5,
    "内蒙古": 1.2,
    "新疆": 1.2,
    "甘肃": 1.2,
    "海南": 1,
    "香港": 1,
    "台湾": 0.8,
    "宁夏": 0.4,
    "青海": 0.3,
    "西藏": 0.2,
    "澳门": 0.2,
}
FOREIGN_LOCATIONS = {
    "美国": 65,
    "加拿大": 6,
    "英国": 5,
    "澳大利亚": 4,
    "德国": 2,
    "马来西亚": 2,
    "菲律宾": 2,
    "法国": 1.5,
    "日本": 1.5,
    "新加坡": 1.5,
    "韩国": 1,
    "墨西哥": 1,
    "巴西": 1,
    "意大利": 0.8,
    "新西兰": 0.8,
    "西班牙": 0.7,
    "印度": 0.7,
    "泰国": 0.6,
    "俄罗斯": 0.6,
    "荷兰": 0.5,
    "爱尔兰": 0.5,
    "越南": 0.5,
    "印度尼西亚": 0.5,
    "尼日利亚": 0.4,
    "南非": 0.4,
    "牙买加": 0.3,
    "波多黎各": 0.3,
}
POSTER_LOCATIONS = {"美国": 85, "加拿大": 4, "英国": 3, "澳大利亚": 2, "菲律宾": 1, "德国": 1, "墨西哥": 1}

THEME_POST_WEIGHTS = {
    "culture": 18,
    "politics": 12,
    "appearance": 14,
    "daily_life": 17,
    "language_learning": 11,
    "platform_migration": 22,
    "other": 6,
}

# Emotion weights per theme, in EMOTIONS order: joy curiosity praise pride gratitude warmth
# contempt anger disgust sadness fear neutral. Politics leans to contempt/anger, culture to pride,
# appearance is a mix of praise and put-downs.
THEME_EMOTION_WEIGHTS = {
    "culture":            (14, 14, 12, 20, 5, 9, 4, 2, 2, 3, 1, 14),
    "politics":           (5, 9, 3, 10, 3, 5, 20, 16, 5, 7, 7, 10),
    "appearance":         (11, 6, 20, 3, 5, 8, 13, 5, 10, 3, 1, 15),
    "daily_life":         (20, 14, 10, 3, 4, 14, 3, 2, 2, 6, 2, 20),
    "language_learning":  (14, 18, 12, 8, 10, 14, 4, 1, 1, 1, 1, 16),
    "platform_migration": (16, 12, 4, 6, 8, 24, 6, 4, 2, 4, 4, 10),
    "other":              (16, 14, 8, 3, 4, 8, 5, 3, 3, 5, 2, 29),
}  # fmt: skip
# Multipliers on those weights per commenter group (the post's author replying mostly thanks people).
GROUP_EMOTION_FACTORS = {
    GROUP_CHINESE: (1.0, 1.0, 1.0, 1.2, 0.6, 1.2, 1.0, 1.0, 1.0, 0.9, 0.7, 1.0),
    GROUP_FOREIGN: (1.2, 1.1, 1.0, 0.6, 2.5, 0.9, 0.6, 0.8, 0.8, 1.3, 1.6, 1.0),
    GROUP_UNKNOWN: (1.0,) * 12,
    GROUP_POSTER: (1.5, 0.8, 0.5, 0.5, 6.0, 1.5, 0.3, 0.3, 0.2, 0.8, 0.5, 1.0),
}

# ------------------------------------------------------------------------------------------------------------
# Fragments for comments. Bodies carry the emotion; theme bodies also carry the theme's vocabulary through
# {topic} and {city}. Bodies have no end punctuation: that is added per emotion.
# ------------------------------------------------------------------------------------------------------------
THEME_TOPICS = {
    "culture": {
        "zh": [
            "春节",
            "汉服",
            "故宫",
            "长城",
            "兵马俑",
            "京剧",
            "书法",
            "中秋节",
            "舞狮",
            "古镇",
            "功夫茶",
            "剪纸",
            "古诗词",
            "元宵节",
        ],
        "en": [
            "Chinese New Year",
            "hanfu",
            "the Forbidden City",
            "the Great Wall",
            "calligraphy",
            "the lion dance",
            "tea culture",
            "the Terracotta Army",
            "Chinese opera",
            "the Mid-Autumn Festival",
            "paper cutting",
            "Tang poetry",
            "the Lantern Festival",
            "kung fu",
        ],
    },
    "politics": {
        "zh": [
            "TikTok禁令",
            "言论自由",
            "美国政府",
            "国会",
            "医保",
            "审查",
            "西方媒体",
            "宣传",
            "选举",
            "枪支问题",
            "医疗账单",
            "房价",
            "学生贷款",
            "数据安全",
        ],
        "en": [
            "the TikTok ban",
            "free speech",
            "Congress",
            "the government",
            "healthcare",
            "medical bills",
            "censorship",
            "propaganda",
            "the media",
            "student loans",
            "the election",
            "data privacy",
            "the Supreme Court ruling",
            "insurance companies",
        ],
    },
    "appearance": {
        "zh": [
            "妆容",
            "穿搭",
            "发型",
            "眼妆",
            "口红色号",
            "五官",
            "皮肤",
            "卷发",
            "美甲",
            "眉毛",
            "笑容",
            "雀斑",
            "耳环",
            "眼睛",
        ],
        "en": [
            "makeup",
            "outfit",
            "hair",
            "eyeliner",
            "lipstick shade",
            "smile",
            "freckles",
            "curls",
            "nails",
            "eyebrows",
            "style",
            "jawline",
            "earrings",
            "eyes",
        ],
    },
    "daily_life": {
        "zh": [
            "早餐",
            "通勤",
            "房子",
            "花园",
            "工作",
            "周末",
            "厨房",
            "小院子",
            "晚饭",
            "夜班",
            "带娃",
            "健身",
        ],
        "en": [
            "breakfast",
            "commute",
            "house",
            "garden",
            "job",
            "weekend",
            "kitchen",
            "night shift",
            "dinner",
            "backyard",
            "morning coffee",
            "gym",
        ],
    },
    "language_learning": {
        "zh": [
            "中文",
            "声调",
            "汉字",
            "拼音",
            "发音",
            "成语",
            "四川话",
            "粤语",
            "英语",
            "语法",
            "口语",
            "网络用语",
            "量词",
            "绕口令",
        ],
        "en": [
            "Chinese",
            "tones",
            "characters",
            "pinyin",
            "pronunciation",
            "idioms",
            "Cantonese",
            "English",
            "grammar",
            "slang",
            "measure words",
            "handwriting",
            "tongue twisters",
            "Duolingo",
        ],
    },
    "platform_migration": {
        "zh": [
            "小红书",
            "TikTok",
            "这个App",
            "翻译按钮",
            "首页推荐",
            "算法",
            "评论区",
            "美国网友",
            "中美网友",
            "外国友人",
            "小红薯",
        ],
        "en": [
            "RedNote",
            "TikTok",
            "this app",
            "the translate button",
            "the algorithm",
            "the comment section",
            "Xiaohongshu",
            "the For You page",
            "this community",
            "the explore page",
        ],
    },
    "other": {
        "zh": [
            "天气",
            "游戏",
            "电影",
            "音乐",
            "足球",
            "篮球",
            "考试",
            "手机",
            "股票",
            "星座",
            "演唱会",
            "动漫",
        ],
        "en": [
            "the weather",
            "video games",
            "movies",
            "music",
            "football",
            "basketball",
            "exams",
            "my phone",
            "the stock market",
            "astrology",
            "concerts",
            "anime",
        ],
    },
}
CITIES = {
    "zh": [
        "成都",
        "重庆",
        "西安",
        "长沙",
        "广州",
        "杭州",
        "北京",
        "上海",
        "哈尔滨",
        "昆明",
        "厦门",
        "南京",
        "武汉",
        "大理",
    ],
    "en": [
        "Chengdu",
        "Chongqing",
        "Xi'an",
        "Changsha",
        "Guangzhou",
        "Hangzhou",
        "Beijing",
        "Shanghai",
        "Harbin",
        "Kunming",
        "Xiamen",
        "Nanjing",
        "Wuhan",
        "Dali",
    ],
}
# Slots other than {topic}, the same for every theme.
SLOT_VALUES = {
    "city": CITIES,
    "food": {
        "zh": [
            "火锅",
            "饺子",
            "川菜",
            "麻辣烫",
            "烤鸭",
            "小笼包",
            "兰州拉面",
            "煎饼果子",
            "螺蛳粉",
            "月饼",
            "肉夹馍",
            "糖葫芦",
        ],
        "en": [
            "hot pot",
            "dumplings",
            "Sichuan food",
            "mala tang",
            "Peking duck",
            "soup dumplings",
            "Lanzhou noodles",
            "bubble tea",
            "mooncakes",
            "jianbing",
            "baozi",
            "scallion pancakes",
        ],
    },
    "pet": {
        "zh": ["猫猫", "狗狗", "橘猫", "布偶猫", "柯基", "金毛", "小仓鼠", "小猫咪"],
        "en": ["cat", "dog", "orange cat", "corgi", "golden retriever", "hamster", "kitten", "husky"],
    },
}
US_STATES = [
    "Texas",
    "Ohio",
    "California",
    "New York",
    "Florida",
    "Georgia",
    "Michigan",
    "Arizona",
    "Oregon",
    "Tennessee",
    "Alabama",
    "Minnesota",
    "Nevada",
    "Kentucky",
    "Louisiana",
    "Colorado",
]

GENERIC_BODIES = {
    "joy": {
        "zh": [
            "笑死我了",
            "太好玩了吧",
            "这也太可爱了",
            "看得我好开心",
            "这个评论区太欢乐了",
            "笑到邻居来敲门",
            "我在地铁上笑出声",
            "今天最开心的事就是刷到这个",
            "好有意思啊",
            "快乐源泉",
            "中美网友的快乐是共通的",
            "笑得我肚子疼",
            "这是什么神仙评论区",
            "开心到转圈圈",
        ],
        "en": [
            "this made my day",
            "I'm dying lol",
            "this is so fun",
            "love this so much",
            "I can't stop laughing",
            "best comment section ever",
            "this app is pure joy",
            "I'm crying laughing",
            "y'all are hilarious",
            "this is the content I'm here for",
            "having way too much fun here",
            "my cheeks hurt from smiling",
            "this is the happiest I've been online in years",
            "I'm giggling like a kid",
        ],
    },
    "curiosity": {
        "zh": [
            "真的吗",
            "为什么会这样",
            "好奇美国那边是什么样的",
            "这是在哪里拍的",
            "请问你是哪个州的",
            "你们平时都吃什么",
            "美国人真的这样吗",
            "想知道你们怎么看",
            "这个是什么意思",
            "你们那边房租多少钱",
            "能多发点日常吗",
            "第一次见，这是什么",
            "你们那边现在几点",
        ],
        "en": [
            "wait is that real",
            "why is it like that",
            "how do you say this in Chinese",
            "what is this called",
            "I wonder what it tastes like",
            "how much does it cost there",
            "is this normal in China",
            "what does this mean",
            "where was this taken",
            "can someone explain",
            "what city are you in",
            "how do people here usually do this",
            "what time is it there right now",
        ],
    },
    "praise": {
        "zh": [
            "好美",
            "太帅了",
            "好厉害",
            "绝了",
            "你好会拍",
            "审美在线",
            "这也太好看了吧",
            "氛围感拉满",
            "真的好有才华",
            "质感绝了",
            "好温柔的感觉",
            "颜值和才华都在线",
            "构图好高级",
        ],
        "en": [
            "so beautiful",
            "you look amazing",
            "this is so cute",
            "incredible work",
            "stunning",
            "you're so talented",
            "the vibes are immaculate",
            "this is gorgeous",
            "absolutely beautiful",
            "elite content",
            "so well done",
            "you have such a kind face",
            "the lighting is perfect",
        ],
    },
    "pride": {
        "zh": [
            "我们中国",
            "中华文化博大精深",
            "作为中国人很自豪",
            "这就是我们的文化",
            "骄傲",
            "欢迎来看看真实的中国",
            "五千年的历史不是吹的",
            "我们的基建真的很强",
            "中国人的浪漫",
            "来了就知道中国有多好",
            "咱们国家晚上出门都很安全",
            "这才是真正的中国",
        ],
        "en": [
            "proud to be American",
            "as an American I love our diversity",
            "our culture has a lot to share too",
            "proud of my city",
            "Texans know how to do it",
            "proud of how we're showing up here",
            "our music is our gift to the world",
            "proud of my roots",
            "we built this community ourselves",
            "as an American I'm proud of the kindness we're showing",
        ],
    },
    "gratitude": {
        "zh": [
            "谢谢",
            "感谢分享",
            "多谢",
            "谢谢你这么用心",
            "谢谢你喜欢中国",
            "感谢科普",
            "谢谢你愿意了解我们",
            "太感谢了",
            "谢谢你的善意",
            "感谢美国网友的分享",
        ],
        "en": [
            "thank you so much",
            "thanks for the warm welcome",
            "grateful for this community",
            "thank you for teaching me",
            "thanks for sharing",
            "I'm so grateful for you all",
            "thank you for being so kind",
            "thanks for explaining",
            "so grateful to be here",
            "thank you Chinese friends",
            "thanks for making me feel welcome",
        ],
    },
    "warmth": {
        "zh": [
            "欢迎",
            "欢迎来到小红书",
            "抱抱",
            "加油",
            "常来玩",
            "欢迎来中国玩",
            "这里欢迎你",
            "有什么不懂的问我",
            "别怕，大家都很友好",
            "以后就是一家人了",
            "来了就是小红书的人了",
            "给你一个大大的拥抱",
        ],
        "en": [
            "welcome",
            "you're safe here",
            "sending hugs",
            "we got you",
            "welcome to the family",
            "you're not alone",
            "hope you have a great day",
            "stay strong",
            "come back anytime",
            "much love from here",
            "you're doing great",
            "glad you're here",
        ],
    },
    "contempt": {
        "zh": [
            "呵呵",
            "无知",
            "可笑",
            "就这",
            "又来一个博流量的",
            "懂的都懂",
            "真是井底之蛙",
            "你开心就好",
            "这也能发",
            "典型的双标",
            "格局小了",
            "装什么装",
        ],
        "en": [
            "clown behavior",
            "so ignorant",
            "pathetic honestly",
            'sure, "freedom"',
            "imagine believing that",
            "ok buddy",
            "this is embarrassing",
            "cringe",
            "tell me you know nothing without telling me",
            "the bar is on the floor",
            "nice propaganda",
            "keep coping",
        ],
    },
    "anger": {
        "zh": [
            "滚",
            "气死我了",
            "凭什么",
            "闭嘴吧",
            "别在这里带节奏",
            "太过分了",
            "有完没完",
            "你算老几",
            "别来我们这里撒野",
            "真让人火大",
            "给我道歉",
            "说话注意点",
        ],
        "en": [
            "get out",
            "shut up",
            "how dare you",
            "this makes me so angry",
            "stop spreading lies",
            "absolutely unacceptable",
            "I'm furious",
            "you should be ashamed",
            "enough is enough",
            "take that back",
            "nobody asked",
            "stop it right now",
        ],
    },
    "disgust": {
        "zh": [
            "恶心",
            "吐了",
            "辣眼睛",
            "看完想吐",
            "好油腻",
            "太恶心了吧",
            "这是什么鬼",
            "生理不适",
            "看不下去",
            "咦好脏",
        ],
        "en": [
            "gross",
            "disgusting",
            "yuck",
            "that's nasty",
            "ew no",
            "I feel sick",
            "that's revolting",
            "my eyes",
            "nope, gross",
            "this is vile",
        ],
    },
    "sadness": {
        "zh": [
            "难过",
            "心疼",
            "可惜",
            "哭了",
            "看哭了",
            "好心酸",
            "有点难过",
            "破防了",
            "眼泪止不住",
            "太让人心疼了",
            "好遗憾",
            "想家了",
        ],
        "en": [
            "so sad",
            "heartbroken",
            "I miss TikTok",
            "this made me cry",
            "that's really sad",
            "my heart hurts",
            "I'm gonna miss this",
            "so disappointing",
            "rest in peace TikTok",
            "this hits hard",
            "feeling kinda lost",
            "I'm tearing up",
        ],
    },
    "fear": {
        "zh": [
            "担心",
            "害怕",
            "好恐怖",
            "有点怕",
            "会不会被封号",
            "好担心你的安全",
            "吓死我了",
            "不敢想",
            "心里发毛",
            "有点慌",
        ],
        "en": [
            "I'm scared",
            "worried about this",
            "afraid they're spying",
            "this is terrifying",
            "is my data safe",
            "kinda nervous",
            "scary times",
            "I'm afraid of what comes next",
            "this freaks me out",
            "anxious about all this",
        ],
    },
    "neutral": {
        "zh": [
            "在哪里买",
            "几点",
            "是的",
            "在上海",
            "打卡",
            "路过",
            "来了",
            "mark一下",
            "收藏了",
            "同问",
            "第一",
            "在线等",
            "已关注",
        ],
        "en": [
            "ok",
            "it's in Shanghai",
            "same",
            "noted",
            "here",
            "following",
            "first",
            "bump",
            "checking in",
            "just arrived",
            "saving this",
            "link?",
            "Q&A later?",
        ],
    },
}

THEME_BODIES = {
    "culture": {
        "pride": {
            "zh": [
                "{topic}是我们中国人的骄傲",
                "我们的{topic}可是有几千年历史的",
                "欢迎来{city}吃正宗的{food}",
                "{topic}才是中华文化的精髓",
                "中国的{topic}你只见识了一点点",
                "{city}人表示{topic}我们最正宗",
            ],
            "en": [
                "we have amazing barbecue back home too, come try it",
                "as a New Orleans native I'm proud of our food",
                "our soul food is just as rich as {food}",
                "proud to bring {food} back to my small town",
                "Southern cooking and {food} should be friends",
            ],
        },
        "joy": {
            "zh": [
                "看你吃{food}的样子笑死我了",
                "第一次吃{food}的表情太好笑了",
                "{food}配上你的反应绝了",
                "哈哈哈{topic}被你玩明白了",
                "看到外国人爱上{food}好开心",
            ],
            "en": [
                "your reaction to {topic} is everything",
                "I'm obsessed with {topic} now",
                "{topic} is so much fun",
                "just tried {food} and I'm so happy",
                "{topic} in {city} looks like a dream trip",
            ],
        },
        "curiosity": {
            "zh": [
                "你在美国能吃到{food}吗",
                "你们那边过{topic}吗",
                "下次想试试什么中国美食",
                "你最喜欢哪个中国城市",
                "{food}你觉得好吃吗",
            ],
            "en": [
                "what's the best place to try {food}",
                "how do you make {food} at home",
                "is {food} different in the north and south",
                "what's the story behind {topic}",
                "is {food} better in {city}",
            ],
        },
        "praise": {
            "zh": [
                "你做的{food}比我做的还好",
                "这个{topic}拍得太有感觉了",
                "{topic}好漂亮",
                "你穿汉服好好看",
            ],
            "en": [
                "this {topic} looks incredible",
                "the {topic} is gorgeous",
                "you did {topic} justice",
                "{city} looks so beautiful",
            ],
        },
        "neutral": {
            "zh": [
                "{food}在{city}最正宗",
                "{topic}的话推荐去{city}",
                "{food}一般过年的时候吃",
                "{food}淘宝上能买到",
            ],
            "en": [
                "{food} is usually eaten during holidays",
                "you can find {food} in most Chinatowns",
                "the best {food} I had was in {city}",
            ],
        },
    },
    "politics": {
        "contempt": {
            "zh": [
                "呵呵，这就是你们的{topic}",
                "{topic}？双标玩得挺溜",
                "所谓的{topic}也就这样",
                "天天喊{topic}，结果呢",
                "{topic}这种事你们最在行",
                "看病都看不起还谈{topic}",
            ],
            "en": [
                "sure, {topic}, totally",
                "lol imagine defending {topic}",
                "{topic} is a joke and everyone knows it",
                "the same people who lectured us about {topic}",
                "funny how {topic} only matters when convenient",
                "nice try with the {topic} propaganda",
                "the bots are out defending {topic} again",
            ],
        },
        "anger": {
            "zh": [
                "凭什么拿{topic}说事",
                "别拿{topic}来抹黑我们",
                "{topic}这事太气人了",
                "你们的{topic}关我们什么事",
                "一提{topic}就来带节奏",
            ],
            "en": [
                "{topic} is a disgrace",
                "I'm so angry about {topic}",
                "how dare they pull this {topic} nonsense",
                "{topic} is exactly why people are leaving",
                "Congress should be ashamed of {topic}",
            ],
        },
        "pride": {
            "zh": [
                "在中国看病真的方便又便宜",
                "我们不需要别人来教我们什么是{topic}",
                "来中国住一阵就知道了",
                "我们的高铁和医保都很好",
            ],
            "en": [
                "we still believe in {topic}",
                "Americans will always fight for {topic}",
                "proud that we're pushing back on {topic}",
            ],
        },
        "sadness": {
            "zh": ["看到你们为{topic}发愁好心疼", "{topic}压得普通人喘不过气", "普通人真的太难了"],
            "en": [
                "{topic} broke my heart",
                "it's sad that {topic} got this bad",
                "I can't afford healthcare and it makes me sad",
            ],
        },
        "fear": {
            "zh": ["讨论{topic}会不会被限流啊", "说{topic}好怕被封号", "{topic}这种话题还是小心点"],
            "en": [
                "I'm worried {topic} will get worse",
                "scared of what {topic} means for us",
                "are they going to track us over {topic}",
            ],
        },
        "curiosity": {
            "zh": ["你们那里{topic}真的那么夸张吗", "美国人怎么看{topic}", "{topic}到底是怎么回事"],
            "en": [
                "how does {topic} work in China",
                "do people here care about {topic}",
                "genuinely, what do Chinese people think of {topic}",
            ],
        },
    },
    "appearance": {
        "praise": {
            "zh": [
                "你的{topic}也太好看了",
                "这个{topic}绝了",
                "{topic}好适合你",
                "求{topic}教程",
                "你的{topic}是天生的吗",
            ],
            "en": [
                "your {topic} is perfect",
                "love the {topic}",
                "that {topic} suits you so well",
                "obsessed with your {topic}",
                "the {topic} is a 10",
            ],
        },
        "joy": {
            "zh": ["这个{topic}看得我好开心", "你的{topic}太可爱了"],
            "en": ["your {topic} made me smile", "the {topic} is giving main character"],
        },
        "contempt": {
            "zh": [
                "{topic}一般般吧，滤镜开太大",
                "就这{topic}也好意思求打分",
                "P图痕迹太明显了",
                "{topic}普通得不能再普通",
            ],
            "en": [
                "the {topic} is a 5 at best",
                "filters doing all the work",
                "rate me posts are so desperate",
                "that {topic} is so basic",
            ],
        },
        "disgust": {
            "zh": ["这个{topic}有点辣眼睛", "{topic}太浮夸了，看着难受", "{topic}好油"],
            "en": [
                "that {topic} is not it, yikes",
                "the {topic} is too much, ew",
                "the {topic} makes me cringe",
            ],
        },
        "curiosity": {
            "zh": ["你用的是什么{topic}产品", "{topic}是怎么弄的"],
            "en": ["what products do you use for your {topic}", "how long does your {topic} take"],
        },
        "neutral": {
            "zh": ["{topic}是日常款", "给{topic}打7分", "{topic}打个8分吧"],
            "en": ["I'd give the {topic} a 7", "the {topic} looks like a drugstore brand"],
        },
    },
    "daily_life": {
        "joy": {
            "zh": [
                "你家{pet}太可爱了哈哈哈",
                "看你的{topic}日常好治愈",
                "交猫税的都是好人",
                "{pet}也太有意思了",
            ],
            "en": [
                "the {pet} content is everything",
                "your {pet} is living its best life",
                "cat tax paid, love it",
                "mom & dad would love your {pet}",
            ],
        },
        "warmth": {
            "zh": ["你的{topic}日常看着好温暖", "照顾好自己和{pet}", "下班了好好休息"],
            "en": [
                "sending love to you and your {pet}",
                "hope your {pet} has a great day",
                "rest well after that shift",
            ],
        },
        "curiosity": {
            "zh": ["美国的{topic}都是这样的吗", "你们{topic}一般花多少钱", "你们那边{topic}是什么样的"],
            "en": ["what's your {topic} routine like", "is a {pet} expensive to keep there"],
        },
        "sadness": {
            "zh": ["打工人的{topic}都一样苦", "看到你的{topic}想家了"],
            "en": ["my {topic} is nothing like this, sad", "working two jobs and no time for {topic}"],
        },
        "neutral": {
            "zh": ["我家{pet}也这样", "我们这边{topic}也差不多"],
            "en": ["my {pet} does the same thing", "our {topic} looks about the same"],
        },
        "praise": {
            "zh": ["你家收拾得好干净", "你的{pet}养得真好"],
            "en": ["your {topic} looks so cozy", "your {pet} is adorable"],
        },
    },
    "language_learning": {
        "curiosity": {
            "zh": ["{topic}难学吗", "你学{topic}多久了", "为什么{topic}这么难", "老外学{topic}最难的是什么"],
            "en": [
                "how do you remember {topic}",
                "is learning {topic} hard for beginners",
                "what makes {topic} so confusing",
                "any tips for {topic}",
            ],
        },
        "warmth": {
            "zh": ["{topic}不懂的可以问我", "我可以教你{topic}", "学{topic}慢慢来，加油"],
            "en": ["I can help you with {topic}", "don't worry about {topic}, you're doing great"],
        },
        "praise": {
            "zh": ["你的{topic}好标准", "{topic}比我还好", "学得好快"],
            "en": ["your {topic} is really good", "wow your {topic} is better than mine"],
        },
        "gratitude": {
            "zh": ["谢谢你教我{topic}", "感谢分享{topic}"],
            "en": ["thank you for the {topic} tips", "thanks for teaching me {topic}"],
        },
        "joy": {
            "zh": ["你的{topic}把我笑死了", "被你的{topic}可爱到"],
            "en": ["I'm laughing at my own {topic} attempts", "{topic} is so fun to learn"],
        },
        "neutral": {
            "zh": ["{topic}可以用多邻国练", "这个读第三声", "{topic}多听多说就好"],
            "en": [
                "{topic} practice works best with flashcards",
                "try HelloChinese for {topic}",
                "ask me anything, Q&A style",
            ],
        },
        "pride": {
            "zh": ["汉字是世界上最美的文字", "{topic}可是我们老祖宗的智慧"],
            "en": ["English slang is our gift to the world", "proud to help with {topic}"],
        },
    },
    "platform_migration": {
        "warmth": {
            "zh": ["欢迎来到{topic}", "欢迎TikTok难民", "{topic}欢迎你", "来了{topic}就把这当家"],
            "en": ["welcome to {topic}", "you're safe on {topic}", "glad you found {topic}"],
        },
        "joy": {
            "zh": ["{topic}今天太热闹了", "中美网友在{topic}会师了", "{topic}终于国际化了"],
            "en": ["{topic} is so much fun", "I love {topic} already", "TikTok refugee here and loving it"],
        },
        "curiosity": {
            "zh": ["你们怎么知道{topic}的", "{topic}用得习惯吗"],
            "en": ["how does {topic} work", "where's the translate button on {topic}"],
        },
        "gratitude": {
            "zh": ["谢谢美国网友带来的快乐", "感谢{topic}让我们认识"],
            "en": ["thank you {topic} for taking us in", "so thankful for {topic}"],
        },
        "fear": {
            "zh": ["{topic}会不会也被美国禁了", "担心{topic}以后变味"],
            "en": ["will they ban {topic} too", "I'm worried about my data on {topic}"],
        },
        "sadness": {
            "zh": ["TikTok没了你们一定很难过吧"],
            "en": ["I miss the old {topic}", "sad that it came to this"],
        },
        "contempt": {
            "zh": ["又一波来蹭流量的", "{topic}的新鲜劲能维持几天"],
            "en": ["the tourists won't last a week on {topic}"],
        },
        "neutral": {
            "zh": ["{topic}右上角可以翻译", "设置里能改语言"],
            "en": ["you can switch the language in settings", "{topic} has a translate button"],
        },
    },
    "other": {
        "joy": {"zh": ["{topic}太好玩了"], "en": ["{topic} is so fun"]},
        "curiosity": {"zh": ["你喜欢什么{topic}"], "en": ["what {topic} do you like"]},
        "neutral": {
            "zh": ["{topic}最近挺火的", "今天{topic}怎么样"],
            "en": ["{topic} is popular here too", "how's {topic} today"],
        },
        "sadness": {"zh": ["{topic}又让我失望了"], "en": ["{topic} let me down again"]},
    },
}

OPENERS = {
    "joy": {"zh": ["{laugh}", "笑死", "救命", "啊啊啊"], "en": ["lol", "haha", "omg", "LMAO"]},
    "curiosity": {
        "zh": ["请问", "好奇", "诶", "问一下"],
        "en": ["wait", "question:", "hmm", "genuinely curious,"],
    },
    "praise": {"zh": ["天哪", "哇", "我的天", "啊啊啊"], "en": ["wow", "omg", "oh my", "honestly"]},
    "pride": {
        "zh": ["说实话", "作为中国人", "必须说", "讲真"],
        "en": ["honestly", "as an American,", "not gonna lie", "real talk"],
    },
    "gratitude": {"zh": ["真心", "哇", "呜呜", "感动"], "en": ["aww", "honestly", "wow", "genuinely"]},
    "warmth": {
        "zh": ["你好呀", "嗨", "欢迎欢迎", "哈喽"],
        "en": ["hey friend", "hi", "hello hello", "hey there"],
    },
    "contempt": {"zh": ["呵呵", "哦", "啧", "笑了"], "en": ["lol", "ok", "bro", "imagine"]},
    "anger": {"zh": ["我真的服了", "够了", "喂", "拜托"], "en": ["seriously", "bro", "excuse me", "no"]},
    "disgust": {"zh": ["咦", "呕", "天呐", "噫"], "en": ["ew", "ugh", "bruh", "eww"]},
    "sadness": {"zh": ["唉", "呜呜呜", "哎", "看完"], "en": ["man", "ugh", "honestly", "oh no"]},
    "fear": {"zh": ["天啊", "救命", "那个", "说真的"], "en": ["yikes", "uh oh", "honestly", "wait"]},
    "neutral": {"zh": ["嗯", "对", "哦", "那个"], "en": ["yeah", "hm", "fyi", "btw"]},
}
CLOSERS = {
    "joy": {
        "zh": ["太快乐了", "{laugh}", "笑不活了", "爱了爱了"],
        "en": ["lmao", "haha", "love it", "{lol}"],
    },
    "curiosity": {
        "zh": ["求解答", "在线等", "有人知道吗", "求科普"],
        "en": ["anyone?", "please explain", "just curious", "lmk"],
    },
    "praise": {"zh": ["爱了", "绝绝子", "yyds", "太顶了"], "en": ["queen", "10/10", "no notes", "slay"]},
    "pride": {
        "zh": ["中国加油", "为祖国骄傲", "欢迎来中国", "骄傲"],
        "en": ["proud", "let's go", "represent", "always"],
    },
    "gratitude": {
        "zh": ["谢谢谢谢", "感恩", "比心", "谢啦"],
        "en": ["thank you", "much appreciated", "ty", "thanks again"],
    },
    "warmth": {
        "zh": ["抱抱", "加油哦", "常来玩", "欢迎你"],
        "en": ["hugs", "take care", "welcome", "you got this"],
    },
    "contempt": {"zh": ["呵呵", "就这", "笑死", "懂？"], "en": ["lol", "smh", "cope", "ok"]},
    "anger": {"zh": ["滚吧", "气死", "闭嘴", "无语"], "en": ["period", "get out", "unbelievable", "smh"]},
    "disgust": {"zh": ["吐了", "辣眼睛", "咦", "退退退"], "en": ["yuck", "gross", "nope", "ew"]},
    "sadness": {"zh": ["唉", "心疼", "哭了", "呜呜"], "en": ["sigh", "so sad", "rip", "it hurts"]},
    "fear": {"zh": ["好怕", "担心", "保重", "小心点"], "en": ["stay safe", "scary", "be careful", "yikes"]},
    "neutral": {"zh": ["谢谢", "好的", "了解", "收到"], "en": ["thanks", "ok", "cool", "got it"]},
}
END_PUNCTUATION = {
    "zh": {
        "joy": ["！", "！！", "", "~"],
        "curiosity": ["？", "？？", "?", "？？？"],
        "contempt": ["。", "…", "", "？"],
        "anger": ["！", "！！！", "!"],
        "default": ["", "！", "。", "~"],
    },
    "en": {
        "joy": ["!", "!!", "", "!!!"],
        "curiosity": ["?", "??", "? ", "?!"],
        "contempt": [".", "...", ""],
        "anger": ["!", "!!!", "."],
        "default": ["", ".", "!"],
    },
}
EMOJI = {
    "joy": ["😂", "🤣", "😆", "😄"],
    "curiosity": ["🤔", "👀", "❓"],
    "praise": ["😍", "🥰", "👍", "✨", "💯"],
    "pride": ["🇨🇳", "💪", "❤️", "🔥"],
    "gratitude": ["🙏", "❤️", "🥹"],
    "warmth": ["🤗", "❤️", "🫶", "🌹"],
    "contempt": ["🙄", "😅", "🤡", "🙃"],
    "anger": ["😡", "🤬", "💢"],
    "disgust": ["🤢", "🤮", "😖"],
    "sadness": ["😭", "😢", "💔", "🥺"],
    "fear": ["😨", "😰", "😱"],
    "neutral": ["👌", "🙂", "📍"],
}
STICKERS = {
    "joy": ["[笑哭R]", "[大笑R]", "[偷笑R]"],
    "curiosity": ["[哇R]", "[石化R]", "[思考R]"],
    "praise": ["[赞R]", "[萌萌哒R]", "[哇R]", "[飞吻R]"],
    "pride": ["[赞R]", "[派对R]", "[黄金薯R]"],
    "gratitude": ["[飞吻R]", "[害羞R]", "[赞R]"],
    "warmth": ["[拥抱R]", "[萌萌哒R]", "[飞吻R]"],
    "contempt": ["[doge]", "[斜眼R]", "[偷笑R]"],
    "anger": ["[生气R]", "[抓狂R]"],
    "disgust": ["[皱眉R]", "[汗颜R]"],
    "sadness": ["[哭惹R]", "[失望R]"],
    "fear": ["[石化R]", "[汗颜R]"],
    "neutral": ["[赞R]", "[OK R]"],
}
SLANG = {
    "zh": ["家人们", "姐妹们", "宝子们", "兄弟们", "集美们", "谁懂啊", "说真的", "讲道理", "不是", "真的"],
    "en": ["ngl", "fr", "tbh", "lowkey", "no cap", "bro", "y'all", "literally", "deadass", "istg"],
}

# ------------------------------------------------------------------------------------------------------------
# Fragments for posts (written by foreign users, mostly in English).
# ------------------------------------------------------------------------------------------------------------
POST_TITLES = {
    "culture": [
        "Trying {food} for the first time",
        "Americans try {food}",
        "My first {topic}!",
        "{topic} in {city} was unreal",
        "Rate my homemade {food}",
        "你好! I made {food} today",
    ],
    "politics": [
        "My thoughts on {topic}",
        "Let's talk about {topic}",
        "Why I left TikTok over {topic}",
        "Americans, how do you feel about {topic}?",
        "My medical bill after one night in hospital",
        "What nobody tells you about {topic}",
    ],
    "appearance": [
        "Rate my {topic}",
        "New {topic} today",
        "Be honest, how's my {topic}?",
        "Trying Chinese-style {topic}",
        "Douyin {topic} tutorial attempt",
        "求打分 rate my {topic}",
    ],
    "daily_life": [
        "Paying my cat tax",
        "A day in my life as a nurse in {state}",
        "My {topic} routine",
        "Meet my {pet}!",
        "Morning routine in {state}",
        "Small town life: my {topic}",
    ],
    "language_learning": [
        "Day {number} of learning {topic}",
        "Teach me {topic} please!",
        "I'll teach you English slang, you teach me {topic}",
        "My {topic} is terrible, help",
        "Translation help needed",
        "学中文 day {number}",
    ],
    "platform_migration": [
        "TikTok refugee here",
        "Hello RedNote!",
        "Just arrived from TikTok",
        "First post on {topic}!",
        "Paying my cat tax to enter RedNote",
        "你好小红书! TikTok refugee from {state}",
    ],
    "other": [
        "Random thoughts about {topic}",
        "Anyone else into {topic}?",
        "{topic} update",
        "Just sharing my {topic}",
        "Weekend {topic} vibes",
    ],
}
POST_SENTENCES = {
    "culture": [
        "Hi RedNote! I finally tried {food} and I have questions.",
        "Someone told me {city} has the best {food}.",
        "Please recommend more Chinese dishes!",
        "Is this how you're supposed to eat it?",
        "Learning so much about Chinese culture here.",
        "My Chinese coworker made me try this & I'm hooked.",
    ],
    "politics": [
        "The government banned TikTok and here we are.",
        "I'm not here for politics but {topic} is wild.",
        "Free speech matters to me.",
        "Here's what my insurance actually covers.",
        "Curious how people in China see {topic}.",
        'Don\'t believe everything the "news" says.',
    ],
    "appearance": [
        "First time doing {topic} like this.",
        "Be nice, I'm new here.",
        "Inspired by a Chinese makeup artist.",
        "What would you change?",
        "Rate me 1-10!",
        "Douyin makeup is on another level.",
    ],
    "daily_life": [
        "Here is my cat tax as requested.",
        "Working night shifts and this keeps me going.",
        "My {pet} says hi to everyone.",
        "Just a normal day in my small town.",
        "Mom & dad say hi too.",
        "Groceries cost so much here lately.",
    ],
    "language_learning": [
        "How do I pronounce this?",
        "I'll teach you English slang in return.",
        "Duolingo only got me so far.",
        "Correct me if I'm wrong!",
        "Please teach me some internet slang.",
        "Tones are killing me.",
    ],
    "platform_migration": [
        "Hi everyone, I'm from {state}.",
        "Still figuring out how {topic} works.",
        "Thanks for the warm welcome!",
        "Where is the translate button?",
        "Excited to meet Chinese friends.",
        "Here's my cat tax, I heard it's the rule.",
    ],
    "other": [
        "Nothing special, just wanted to share.",
        "Let me know what you think.",
        "Is {topic} popular in China?",
        "Happy weekend!",
        "Posting this for fun.",
    ],
}
POST_TAGS = {
    "culture": ["中国美食", "中国文化", "chinesefood", "美食", "旅行"],
    "politics": ["tiktokban", "美国", "言论自由", "医保", "freespeech"],
    "appearance": ["穿搭", "妆容", "颜值", "rateme", "ootd"],
    "daily_life": ["猫咪", "日常", "cattax", "vlog", "生活记录"],
    "language_learning": ["学中文", "英语学习", "learnchinese", "中文", "语言交换"],
    "platform_migration": ["TikTok难民", "小红书新人", "hello", "新人报到", "tiktokrefugee"],
    "other": ["日常分享", "生活", "随便聊聊", "weekend"],
}
COMMON_TAGS = ["tiktokrefugee", "美国人在小红书", "TikTok难民"]
SOURCE_KEYWORDS = ["tiktok refugee", "TikTok难民", "tiktokrefugee", "美国网友", "小红书 tiktok"]

# ------------------------------------------------------------------------------------------------------------
# Nicknames.
# ------------------------------------------------------------------------------------------------------------
ZH_NICK_ADJECTIVES = [
    "爱吃火锅的",
    "不想上班的",
    "快乐的",
    "努力的",
    "爱睡觉的",
    "会发光的",
    "想去旅行的",
    "喜欢猫的",
    "不吃香菜的",
    "晚睡的",
    "一只",
    "今天也要开心的",
]
ZH_NICK_NOUNS = [
    "小熊",
    "橘子",
    "猫猫",
    "兔兔",
    "鱼丸",
    "星星",
    "奶茶",
    "豆包",
    "胖虎",
    "月亮",
    "小羊",
    "柠檬",
    "小笼包",
    "西瓜",
]
ZH_NICK_SUFFIXES = ["酱", "呀", "本人", "不加糖", "同学", "吖", "2025", "_", "🍊"]
LATIN_NICKS = ["Lily", "Coco", "Kiki", "Momo", "momo", "Yuki", "Nina", "Leo", "Kevin", "Amy"]
FOREIGN_FIRST_NAMES = [
    "Jake",
    "Emily",
    "Sarah",
    "Mike",
    "Jess",
    "Tyler",
    "Ashley",
    "Chris",
    "Megan",
    "Brandon",
    "Kayla",
    "Josh",
    "Lauren",
    "Marcus",
    "Aaliyah",
    "Diego",
    "Hannah",
    "Ryan",
    "Destiny",
    "Caleb",
    "Olivia",
    "Jamal",
    "Madison",
    "Luis",
]

# ------------------------------------------------------------------------------------------------------------
# Small helpers.
# ------------------------------------------------------------------------------------------------------------
ID_KIND_NOTE, ID_KIND_COMMENT, ID_KIND_USER = 0x1C, 0x1F, 0x01
ID_COUNTER_SPACE = 1 << 24
BASE64URL = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
BASE32 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuv", dtype=np.uint8)


class _IdAllocator:
    """Ids laid out like real xhs ids: 8 hex creation seconds, 8 zeros, 2 hex kind, 6 hex counter.

    Every kind has its own counter that only moves forward, so ids never repeat within a kind (up to 2**24 ids
    per kind) and the increment, which continues the base crawl's allocator, never collides with it.
    """

    def __init__(self, rng: np.random.Generator):
        self.next_counter = {
            kind: int(rng.integers(ID_COUNTER_SPACE))
            for kind in (ID_KIND_NOTE, ID_KIND_COMMENT, ID_KIND_USER)
        }
        self.issued = dict.fromkeys(self.next_counter, 0)

    def allocate(self, kind: int, created_ms: np.ndarray) -> list[str]:
        count = len(created_ms)
        if self.issued[kind] + count > ID_COUNTER_SPACE:
            raise ValueError(f"more than {ID_COUNTER_SPACE} ids of one kind requested")
        start = self.next_counter[kind]
        self.next_counter[kind] = (start + count) % ID_COUNTER_SPACE
        self.issued[kind] += count
        counters = (start + np.arange(count, dtype=np.int64)) % ID_COUNTER_SPACE
        seconds = (np.asarray(created_ms, dtype=np.int64) // 1000).tolist()
        return [
            f"{second:08x}00000000{kind:02x}{counter:06x}"
            for second, counter in zip(seconds, counters.tolist(), strict=True)
        ]


def _random_strings(rng: np.random.Generator, count: int, length: int, alphabet: np.ndarray) -> list[str]:
    """`count` random strings of `length` characters from `alphabet`, drawn in one numpy call."""
    if count == 0:
        return []
    codes = alphabet[rng.integers(len(alphabet), size=count * length)]
    joined = codes.tobytes().decode("ascii")
    return [joined[i * length : (i + 1) * length] for i in range(count)]


def _random_hex(rng: np.random.Generator, count: int, length: int) -> list[str]:
    return _random_strings(rng, count, length, np.frombuffer(b"0123456789abcdef", dtype=np.uint8))


def _weighted_choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> list[str]:
    names = list(weights)
    probabilities = np.array([weights[name] for name in names], dtype=float)
    probabilities /= probabilities.sum()
    return [names[i] for i in rng.choice(len(names), size=size, p=probabilities).tolist()]


def _format_counts(values: np.ndarray, rng: np.random.Generator, odd_share: float = 0.03) -> list[str]:
    """Counts as RedNote shows them: "3642", "1.2万", "1万+", "10+", and now and then "None" or ""."""
    form_draw = rng.random(len(values))
    formatted = []
    for value, draw in zip(values.tolist(), form_draw.tolist(), strict=True):
        if draw < odd_share / 2:
            formatted.append("None")
        elif draw < odd_share:
            formatted.append("")
        elif value >= 10_000:
            if draw > 0.8:
                formatted.append("1万+" if value < 20_000 else f"{value // 10_000}万+")
            else:
                formatted.append(f"{value / 10_000:.1f}".removesuffix(".0") + "万")
        elif 10 <= value < 100 and draw > 0.9:
            formatted.append("10+")
        else:
            formatted.append(str(value))
    return formatted


def _heavy_tailed_counts(rng: np.random.Generator, size: int, median: float, spread: float) -> np.ndarray:
    """Non-negative integer counts with a log-normal shape: most small, a few very large."""
    return np.floor(rng.lognormal(np.log(median + 1), spread, size=size) - 1).clip(0).astype(np.int64)


def _expand(templates: Sequence[str], language: str, theme: str) -> list[str]:
    """Every template filled with every combination of the values of the slots it uses."""
    slot_values = {"topic": THEME_TOPICS[theme][language]}
    slot_values.update({slot: values[language] for slot, values in SLOT_VALUES.items()})
    expanded = []
    for template in templates:
        used = [slot for slot in slot_values if "{" + slot + "}" in template]
        for combination in itertools.product(*(slot_values[slot] for slot in used)):
            expanded.append(template.format(**dict(zip(used, combination, strict=True))))
    return expanded


@dataclass(frozen=True)
class _FragmentCell:
    """Everything one (theme, emotion) pair can say, per language."""

    theme_bodies: dict[str, list[str]]
    generic_bodies: dict[str, list[str]]
    openers: dict[str, list[str]]
    closers: dict[str, list[str]]
    punctuation: dict[str, list[str]]
    emoji: list[str]
    stickers: list[str]


def _build_cells() -> list[list[_FragmentCell]]:
    cells = []
    for theme in THEMES:
        row = []
        for emotion in EMOTIONS:
            theme_templates = THEME_BODIES.get(theme, {}).get(emotion, {})
            row.append(
                _FragmentCell(
                    theme_bodies={
                        lang: _expand(theme_templates.get(lang, []), lang, theme) for lang in ("zh", "en")
                    },
                    generic_bodies=GENERIC_BODIES[emotion],
                    openers=OPENERS[emotion],
                    closers=CLOSERS[emotion],
                    punctuation={
                        lang: END_PUNCTUATION[lang].get(emotion, END_PUNCTUATION[lang]["default"])
                        for lang in ("zh", "en")
                    },
                    emoji=EMOJI[emotion],
                    stickers=STICKERS[emotion],
                )
            )
        cells.append(row)
    return cells


_CELLS = _build_cells()


def _fill_noise(fragment: str, text_random: random.Random) -> str:
    """Laughter of varying length, as people type it."""
    if "{laugh}" in fragment:
        fragment = fragment.replace("{laugh}", "哈" * text_random.randint(3, 10))
    if "{lol}" in fragment:
        fragment = fragment.replace("{lol}", "ha" * text_random.randint(2, 6))
    return fragment


ZH_PARTICLES = ("啊", "呀", "哦", "啦", "呢", "嘛", "哈", "捏")
ZH_PUNCTUATION_RUNS = ("！", "？", "~", "。")


def _vary(body: str, language: str, text_random: random.Random) -> str:
    """Small typing habits: a sentence-final particle, a doubled short phrase, a stretched "so"."""
    draw = text_random.random()
    if language == "zh":
        if draw < 0.2:
            return body + text_random.choice(ZH_PARTICLES)
        if draw < 0.28 and len(body) <= 3:
            return body * text_random.randint(2, 3)
        if draw < 0.36:
            return body + text_random.choice(ZH_PUNCTUATION_RUNS) * text_random.randint(2, 4)
        return body
    if draw < 0.25 and " so " in f" {body} ":
        return f" {body} ".replace(" so ", " s" + "o" * text_random.randint(2, 6) + " ", 1).strip()
    if draw < 0.35:
        return body.upper() if draw < 0.28 else body + "!" * text_random.randint(2, 4)
    return body


def _compose_text(cell: _FragmentCell, language: int, mention: str | None, text_random: random.Random) -> str:
    """One comment: [@mention] [opener] [slang] body [body] [closer] [emoji or stickers], per language."""
    body_language = "zh" if language in (LANGUAGE_ZH, LANGUAGE_ZH_MIXED) else "en"
    extra_language = body_language
    if language == LANGUAGE_ZH_MIXED:
        extra_language = "en"
    elif language == LANGUAGE_EN_MIXED:
        extra_language = "zh"
    mixed = extra_language != body_language
    draw = text_random.random

    def body() -> str:
        theme_bodies = cell.theme_bodies[body_language]
        if theme_bodies and draw() < 0.6:
            chosen = text_random.choice(theme_bodies)
        else:
            chosen = text_random.choice(cell.generic_bodies[body_language])
        return _vary(chosen, body_language, text_random)

    clauses = [body()]
    if draw() < 0.4:
        second = body()
        if second != clauses[0]:
            clauses.append(second)
    has_opener = draw() < (0.6 if mixed else 0.4)
    has_closer = draw() < (0.6 if mixed else 0.4) or (mixed and not has_opener)
    if body_language == "zh":
        separator = text_random.choice(("，", "，", " ", "！")) if draw() > 0.04 else "\n"
        text = separator.join(clauses)
        if draw() < 0.2:
            text = text_random.choice(SLANG["zh"]) + text_random.choice(("，", "", " ")) + text
    else:
        separator = text_random.choice((", ", ". ", " ", "! ")) if draw() > 0.04 else "\n"
        text = separator.join(clauses)
        if draw() < 0.2:
            slang = text_random.choice(SLANG["en"])
            text = f"{slang} {text}" if draw() < 0.5 else f"{text} {slang}"
    text += text_random.choice(cell.punctuation[body_language])
    if has_opener:
        opener = _fill_noise(text_random.choice(cell.openers[extra_language]), text_random)
        joiner = "\n" if draw() < 0.02 else ("，" if extra_language == "zh" and draw() < 0.5 else " ")
        text = opener + joiner + text
    if has_closer:
        closer = _fill_noise(text_random.choice(cell.closers[extra_language]), text_random)
        text = text + ("\n" if draw() < 0.03 else " ") + closer
    if text[:1].isascii() and draw() < 0.4:
        text = text[:1].upper() + text[1:]
    decoration = draw()
    if decoration < 0.3:
        text += text_random.choice(cell.emoji) * text_random.randint(1, 3)
    elif decoration < 0.48:
        text += "".join(text_random.choice(cell.stickers) for _ in range(text_random.randint(1, 3)))
    if mention is not None:
        text = f"@{mention} {text}"
    # Raw xhs text now and then keeps HTML entities.
    if "&" in text and draw() < 0.5:
        text = text.replace("&", "&amp;")
    if '"' in text and draw() < 0.5:
        text = text.replace('"', "&quot;")
    if "'" in text and draw() < 0.05:
        text = text.replace("'", "&#39;")
    return text.strip()


# ------------------------------------------------------------------------------------------------------------
# Users.
# ------------------------------------------------------------------------------------------------------------
@dataclass
class _Users:
    user_ids: list[str]
    nicknames: list[str]
    avatars: list[str]
    ip_locations: list[str]

    def __len__(self) -> int:
        return len(self.user_ids)


def _nickname(group: int, text_random: random.Random, default_suffix: str) -> str:
    draw = text_random.random()
    if group == GROUP_CHINESE or group == GROUP_UNKNOWN:
        if draw < 0.35:
            return "小红薯" + default_suffix.upper()
        if draw < 0.70:
            return text_random.choice(ZH_NICK_ADJECTIVES) + text_random.choice(ZH_NICK_NOUNS)
        if draw < 0.88:
            return text_random.choice(ZH_NICK_NOUNS) + text_random.choice(ZH_NICK_SUFFIXES)
        return text_random.choice(LATIN_NICKS) + ("" if draw < 0.94 else f"_{text_random.randint(1, 999)}")
    if draw < 0.30:  # a fresh account keeps the default name
        return "小红薯" + default_suffix.upper()
    name = text_random.choice(FOREIGN_FIRST_NAMES)
    pattern = text_random.randrange(6)
    if pattern == 0:
        return name
    if pattern == 1:
        return f"{name}_{text_random.choice('ABCDEFGHJKLMNPRSTW')}"
    if pattern == 2:
        return f"{name} from {text_random.choice(US_STATES)}"
    if pattern == 3:
        return f"{name.lower()}{text_random.randint(1, 99):02d}"
    if pattern == 4:
        return f"TikTok refugee {name}"
    return f"{name} 🇺🇸"


def _make_users(
    count: int,
    group: int,
    rng: np.random.Generator,
    text_random: random.Random,
    allocator: _IdAllocator,
) -> _Users:
    if group == GROUP_FOREIGN or group == GROUP_POSTER:
        # Most foreign accounts were opened in the TikTok-refugee week.
        refugee = rng.random(count) < 0.85
        created = np.where(
            refugee,
            rng.integers(REFUGEE_ACCOUNTS_FROM_MS, POSTS_FROM_MS, size=count),
            rng.integers(ACCOUNTS_FROM_MS, ACCOUNTS_UNTIL_MS, size=count),
        )
    else:
        created = rng.integers(ACCOUNTS_FROM_MS, ACCOUNTS_UNTIL_MS, size=count)
    user_ids = allocator.allocate(ID_KIND_USER, created)
    default_suffixes = _random_hex(rng, count, 8)
    nicknames = [_nickname(group, text_random, suffix) for suffix in default_suffixes]
    avatars = [
        f"https://sns-avatar-qc.xhscdn.com/avatar/1040g2jo31{code}?imageView2/2/w/120/format/jpg"
        for code in _random_strings(rng, count, 20, BASE32)
    ]
    if group == GROUP_CHINESE:
        locations = _weighted_choice(rng, CHINESE_LOCATIONS, count)
    elif group == GROUP_FOREIGN:
        locations = _weighted_choice(rng, FOREIGN_LOCATIONS, count)
    elif group == GROUP_POSTER:
        locations = _weighted_choice(rng, POSTER_LOCATIONS, count)
    else:
        locations = [""] * count
    return _Users(user_ids, nicknames, avatars, locations)


def _skewed_indices(rng: np.random.Generator, pool_size: int, size: int) -> np.ndarray:
    """Indices into a pool where a few members are very active (u**2: the top 1% gets about 10%)."""
    return np.minimum((pool_size * rng.random(size) ** 2).astype(np.int64), pool_size - 1)


# ------------------------------------------------------------------------------------------------------------
# Posts.
# ------------------------------------------------------------------------------------------------------------
@dataclass
class _Posts:
    note_ids: list[str]
    themes: np.ndarray  # index into THEMES
    times_ms: np.ndarray
    author_indices: np.ndarray  # index into the posters
    weights: np.ndarray  # how strongly each post draws comments
    rows: list[dict[str, str]]


def _allocate_themes(rng: np.random.Generator, posts: int) -> np.ndarray:
    """Theme per post: largest-remainder counts of THEME_POST_WEIGHTS, each theme at least once, shuffled."""
    weights = np.array([THEME_POST_WEIGHTS[theme] for theme in THEMES], dtype=float)
    if posts >= len(THEMES):
        counts = np.ones(len(THEMES), dtype=np.int64)
        remaining = posts - len(THEMES)
    else:
        counts = np.zeros(len(THEMES), dtype=np.int64)
        remaining = posts
    shares = weights / weights.sum() * remaining
    counts += np.floor(shares).astype(np.int64)
    leftover = posts - int(counts.sum())
    counts[np.argsort(-(shares - np.floor(shares)), kind="stable")[:leftover]] += 1
    themes = np.repeat(np.arange(len(THEMES)), counts)
    rng.shuffle(themes)
    return themes


def _fill_post_template(template: str, theme: int, text_random: random.Random) -> str:
    return template.format(
        topic=text_random.choice(THEME_TOPICS[THEMES[theme]]["en"]),
        city=text_random.choice(CITIES["en"]),
        food=text_random.choice(SLOT_VALUES["food"]["en"]),
        pet=text_random.choice(SLOT_VALUES["pet"]["en"]),
        state=text_random.choice(US_STATES),
        number=text_random.randint(1, 30),
    )


def _make_posts(
    posts: int,
    posters: _Users,
    rng: np.random.Generator,
    text_random: random.Random,
    allocator: _IdAllocator,
) -> _Posts:
    themes = _allocate_themes(rng, posts)
    # Most posts come in the first days of the wave.
    in_surge = rng.random(posts) < 0.6
    times = np.where(
        in_surge,
        rng.integers(POSTS_FROM_MS, POSTS_SURGE_UNTIL_MS, size=posts),
        rng.integers(POSTS_FROM_MS, POSTS_UNTIL_MS, size=posts),
    )
    updated = times + np.where(rng.random(posts) < 0.3, rng.integers(60_000, 36 * HOUR_MS, size=posts), 0)
    updated = np.minimum(updated, BASE_CRAWL_MS - 60_000)
    note_ids = allocator.allocate(ID_KIND_NOTE, times)
    author_indices = _skewed_indices(rng, len(posters), posts)
    weights = rng.lognormal(0.0, 1.6, size=posts)
    is_video = rng.random(posts) < 0.3
    crawl_offsets = np.cumsum(rng.integers(5_000, 40_000, size=posts))
    liked = (_heavy_tailed_counts(rng, posts, 400, 1.8) * (1 + weights)).astype(np.int64)
    collected = (liked * rng.uniform(0.05, 0.5, size=posts)).astype(np.int64)
    shared = (liked * rng.uniform(0.01, 0.2, size=posts)).astype(np.int64)
    liked_text = _format_counts(liked, rng)
    collected_text = _format_counts(collected, rng)
    shared_text = _format_counts(shared, rng)
    tokens = _random_strings(rng, posts, 44, BASE64URL)
    media_codes = _random_strings(rng, posts * 6, 32, BASE32)
    rows = []
    for index in range(posts):
        theme = int(themes[index])
        theme_name = THEMES[theme]
        title = _fill_post_template(text_random.choice(POST_TITLES[theme_name]), theme, text_random)
        sentences = text_random.sample(POST_SENTENCES[theme_name], k=text_random.randint(1, 3))
        desc = "\n".join(_fill_post_template(sentence, theme, text_random) for sentence in sentences)
        tags = text_random.sample(POST_TAGS[theme_name], k=2) + [text_random.choice(COMMON_TAGS)]
        if text_random.random() < 0.8:
            desc += "\n" + " ".join(f"#{tag}[话题]#" for tag in tags)
        author = int(author_indices[index])
        stamp = datetime.fromtimestamp(int(times[index]) // 1000, BEIJING).strftime("%Y%m%d%H%M")
        image_count = 1 if is_video[index] else text_random.randint(1, 6)
        codes = media_codes[index * 6 : index * 6 + image_count]
        image_list = ",".join(
            f"http://sns-webpic-qc.xhscdn.com/{stamp}/{code}/1040g008{code[:20]}!nd_dft_wlteh_webp_3"
            for code in codes
        )
        video_url = ""
        if is_video[index]:
            video_url = f"http://sns-video-bd.xhscdn.com/stream/110/259/{codes[0]}_259.mp4"
        rows.append(
            {
                "note_id": note_ids[index],
                "type": "video" if is_video[index] else "normal",
                "title": title,
                "desc": desc,
                "video_url": video_url,
                "time": str(int(times[index])),
                "last_update_time": str(int(updated[index])),
                "user_id": posters.user_ids[author],
                "nickname": posters.nicknames[author],
                "avatar": posters.avatars[author],
                "liked_count": liked_text[index],
                "collected_count": collected_text[index],
                "comment_count": "",  # filled once the comments exist
                "share_count": shared_text[index],
                "ip_location": posters.ip_locations[author],
                "image_list": image_list,
                "tag_list": ",".join(tags),
                "last_modify_ts": str(BASE_CRAWL_MS + int(crawl_offsets[index])),
                "note_url": f"https://www.xiaohongshu.com/explore/{note_ids[index]}",
                "source_keyword": text_random.choice(SOURCE_KEYWORDS),
                "xsec_token": "AB" + tokens[index] + "=",
            }
        )
    return _Posts(note_ids, themes, times.astype(np.int64), author_indices, weights, rows)


# ------------------------------------------------------------------------------------------------------------
# Comments.
# ------------------------------------------------------------------------------------------------------------
@dataclass
class _Comments:
    """One crawl's comments, sorted by note and then by create_time."""

    comment_ids: list[str]
    note_indices: np.ndarray
    create_ms: np.ndarray
    depths: np.ndarray  # 0 for top-level comments
    texts: list[str]
    rows: list[dict[str, str]]
    like_values: np.ndarray


@dataclass
class _Population:
    """Commenters per group; index GROUP_POSTER holds the posts' authors."""

    groups: dict[int, _Users]


def _emotion_cumulative() -> np.ndarray:
    """Cumulative emotion probabilities per (theme, group), shape (themes, groups, emotions)."""
    table = np.zeros((len(THEMES), 4, len(EMOTIONS)))
    for theme_index, theme in enumerate(THEMES):
        base = np.array(THEME_EMOTION_WEIGHTS[theme], dtype=float)
        for group, factors in GROUP_EMOTION_FACTORS.items():
            weights = base * np.array(factors)
            table[theme_index, group] = np.cumsum(weights / weights.sum())
    table[..., -1] = 1.0
    return table


def _draw_categories(rng: np.random.Generator, cumulative_rows: np.ndarray) -> np.ndarray:
    """One category per row of cumulative probabilities (rows x categories)."""
    draws = rng.random(len(cumulative_rows))
    return np.minimum((draws[:, None] >= cumulative_rows).sum(axis=1), cumulative_rows.shape[1] - 1)


def _generate_comments(
    count: int,
    posts: _Posts,
    population: _Population,
    post_weights: np.ndarray,
    window_start_ms: np.ndarray,
    crawl_ms: int,
    rng: np.random.Generator,
    text_random: random.Random,
    allocator: _IdAllocator,
    earlier: _Comments | None,
    label: str,
) -> _Comments:
    """`count` comments under `posts`, created in [window_start_ms[post], crawl_ms), crawled at crawl_ms."""
    note_count = len(posts.note_ids)
    per_note = rng.multinomial(count, post_weights / post_weights.sum())
    note_indices = np.repeat(np.arange(note_count), per_note)
    # Comments bunch up soon after their post: delay = window * u**4.
    window = crawl_ms - 1_000 - window_start_ms[note_indices]
    create_ms = window_start_ms[note_indices] + (window * rng.random(count) ** 4).astype(np.int64)
    order = np.lexsort((create_ms, note_indices))
    note_indices, create_ms = note_indices[order], create_ms[order]
    # Strictly increasing times within a note, so that a parent is always strictly earlier: a running
    # maximum of (time - position) per note, plus position. Adding note * 2**44 keeps it inside each note.
    positions = np.arange(count, dtype=np.int64)
    note_offset = note_indices.astype(np.int64) << 44
    create_ms = np.maximum.accumulate(create_ms - positions + note_offset) - note_offset + positions
    comment_ids = allocator.allocate(ID_KIND_COMMENT, create_ms)

    # Threads: about a quarter of comments answer an earlier comment of the same note, at most 3 deep.
    earlier_by_note: dict[int, tuple[list[str], list[int], list[int]]] = {}
    if earlier is not None:
        for position, note in enumerate(earlier.note_indices.tolist()):
            ids, depths, parents = earlier_by_note.setdefault(note, ([], [], []))
            ids.append(earlier.comment_ids[position])
            depths.append(int(earlier.depths[position]))
            parents.append(-1)  # earlier comments are never walked past: their depth is known
    reply_draws = rng.random(count).tolist()
    pick_draws = rng.random(count).tolist()
    parent_ids = ["0"] * count
    depths = np.zeros(count, dtype=np.int64)
    roots = np.full(count, -1, dtype=np.int64)  # position of the top-level comment of this crawl, if any
    candidate_ids: list[str] = []
    candidate_depths: list[int] = []
    candidate_parents: list[int] = []
    candidate_positions: list[int] = []  # position in this crawl, -1 for earlier comments
    current_note = -1
    for position, note in enumerate(note_indices.tolist()):
        if note != current_note:
            current_note = note
            prior_ids, prior_depths, prior_parents = earlier_by_note.get(note, ([], [], []))
            candidate_ids, candidate_depths = list(prior_ids), list(prior_depths)
            candidate_parents, candidate_positions = list(prior_parents), [-1] * len(prior_ids)
        depth = 0
        parent_slot = -1
        if candidate_ids and reply_draws[position] < REPLY_SHARE:
            pick = pick_draws[position]
            # 30%: answer the latest comment; else any earlier one.
            slot = len(candidate_ids) - 1 if pick < 0.3 else int((pick - 0.3) / 0.7 * len(candidate_ids))
            slot = min(slot, len(candidate_ids) - 1)
            while candidate_depths[slot] >= MAX_REPLY_DEPTH and candidate_parents[slot] >= 0:
                slot = candidate_parents[slot]
            if candidate_depths[slot] < MAX_REPLY_DEPTH:
                parent_slot = slot
                depth = candidate_depths[slot] + 1
                parent_ids[position] = candidate_ids[slot]
                parent_position = candidate_positions[slot]
                if parent_position >= 0:
                    parent_is_root = depths[parent_position] == 0
                    roots[position] = parent_position if parent_is_root else roots[parent_position]
        depths[position] = depth
        candidate_ids.append(comment_ids[position])
        candidate_depths.append(depth)
        candidate_parents.append(parent_slot)
        candidate_positions.append(position)
    is_reply = depths > 0

    # Who writes: a group per comment, then a member of its pool; some replies are by the post's author.
    group_draw = rng.random(count)
    shares = np.cumsum(COMMENT_GROUP_SHARES)
    groups = np.searchsorted(shares / shares[-1], group_draw, side="right").clip(0, 2)
    by_poster = is_reply & (rng.random(count) < POSTER_REPLY_SHARE)
    groups[by_poster] = GROUP_POSTER
    members = np.zeros(count, dtype=np.int64)
    for group in (GROUP_CHINESE, GROUP_FOREIGN, GROUP_UNKNOWN):
        mask = groups == group
        members[mask] = _skewed_indices(rng, len(population.groups[group]), int(mask.sum()))
    members[by_poster] = posts.author_indices[note_indices[by_poster]]

    themes = posts.themes[note_indices]
    emotions = _draw_categories(rng, _emotion_cumulative()[themes, groups])
    language_table = np.cumsum(np.array([LANGUAGE_SHARES[g] for g in range(4)]), axis=1)
    languages = _draw_categories(rng, language_table[groups])
    mention_draws = rng.random(count)
    mention_picks = _skewed_indices(rng, len(population.groups[GROUP_CHINESE]), count)

    progress = Progress(count, label)
    texts: list[str] = []
    chinese_nicknames = population.groups[GROUP_CHINESE].nicknames
    for position in range(count):
        mention = chinese_nicknames[mention_picks[position]] if mention_draws[position] < 0.04 else None
        cell = _CELLS[themes[position]][emotions[position]]
        texts.append(_compose_text(cell, int(languages[position]), mention, text_random))
        if position % 20_000 == 19_999:
            progress.update(20_000)
    progress.update(count - progress.done)
    progress.finish()

    # Counts and crawl stamps.
    like_values = np.where(
        is_reply, _heavy_tailed_counts(rng, count, 1, 1.5), _heavy_tailed_counts(rng, count, 3, 2.2)
    )
    like_text = _format_counts(like_values, rng, odd_share=0.01)
    sub_counts = np.bincount(roots[roots >= 0], minlength=count)
    has_picture = rng.random(count) < 0.015
    picture_codes = _random_strings(rng, int(has_picture.sum()), 32, BASE32)
    # Each note's comments are crawled right after the note, at the same offset into the crawl as in the base.
    note_crawled_ms = np.array([int(row["last_modify_ts"]) for row in posts.rows], dtype=np.int64)
    note_offsets = note_crawled_ms - BASE_CRAWL_MS
    modify_ms = crawl_ms + note_offsets[note_indices] + rng.integers(50, 2_000, size=count)
    rows: list[dict[str, str]] = []
    picture_iter = iter(picture_codes)
    for position in range(count):
        group = int(groups[position])
        users = population.groups[group]
        member = int(members[position])
        created = int(create_ms[position])
        picture = ""
        if has_picture[position]:
            stamp = datetime.fromtimestamp(created // 1000, BEIJING).strftime("%Y%m%d%H%M")
            picture = f"http://sns-webpic-qc.xhscdn.com/{stamp}/{next(picture_iter)}!nc_n_webp_mw_1"
        rows.append(
            {
                "comment_id": comment_ids[position],
                "create_time": str(created),
                "ip_location": users.ip_locations[member],
                "note_id": posts.note_ids[note_indices[position]],
                "content": texts[position],
                "user_id": users.user_ids[member],
                "nickname": users.nicknames[member],
                "avatar": users.avatars[member],
                "sub_comment_count": "0" if is_reply[position] else str(int(sub_counts[position])),
                "pictures": picture,
                "parent_comment_id": parent_ids[position],
                "last_modify_ts": str(int(modify_ms[position])),
                "like_count": like_text[position],
            }
        )
    return _Comments(comment_ids, note_indices, create_ms, depths, texts, rows, like_values)


def _recrawl_duplicates(comments: _Comments, count: int, rng: np.random.Generator) -> list[dict[str, str]]:
    """Rows a same-day re-crawl appends: the same comment ids, later last_modify_ts, sometimes more likes."""
    if count == 0:
        return []
    chosen = np.sort(rng.choice(len(comments.rows), size=count, replace=False))
    extra_likes = rng.geometric(0.3, size=count)
    like_changes = rng.random(count) < 0.5
    new_likes = _format_counts(comments.like_values[chosen] + extra_likes, rng, odd_share=0.0)
    offsets = np.cumsum(rng.integers(20, 3_000, size=count))
    duplicates = []
    for index, position in enumerate(chosen.tolist()):
        row = dict(comments.rows[position])
        row["last_modify_ts"] = str(BASE_RECRAWL_MS + int(offsets[index]))
        if like_changes[index]:
            row["like_count"] = new_likes[index]
        duplicates.append(row)
    return duplicates


# ------------------------------------------------------------------------------------------------------------
# The public entry point.
# ------------------------------------------------------------------------------------------------------------
def _build_population(
    comments: int, posts: int, rng: np.random.Generator, text_random: random.Random, allocator: _IdAllocator
) -> _Population:
    groups = {}
    for group, share in zip((GROUP_CHINESE, GROUP_FOREIGN, GROUP_UNKNOWN), COMMENT_GROUP_SHARES, strict=True):
        # About 0.6 distinct commenters per comment; the skewed draw leaves many pool members unused.
        groups[group] = _make_users(max(1, int(comments * share * 0.6)), group, rng, text_random, allocator)
    groups[GROUP_POSTER] = _make_users(max(1, int(posts * 0.92)), GROUP_POSTER, rng, text_random, allocator)
    return _Population(groups)


def generate_crawl(posts: int, comments: int, seed: int, out_dir: str | Path, increment: int = 0) -> dict:
    """Write a synthetic crawl to `out_dir` and return its paths and counts.

    Returns {"notes_path", "comments_path", "increment_path" (None without increment), "posts", "comments",
    "duplicates", "comment_rows", "increment", "distinct_text_share", "seconds"}. `comment_rows` is the base
    file's row count: `comments` distinct comments plus `duplicates` re-crawl rows. `distinct_text_share` is
    the share of distinct texts among the base file's distinct comments.
    """
    if posts < 1 or comments < 0 or increment < 0:
        raise ValueError("posts must be >= 1; comments and increment >= 0")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    rng = np.random.default_rng([seed, 0])
    text_random = random.Random(int(rng.integers(2**63)))
    allocator = _IdAllocator(rng)

    population = _build_population(comments, posts, rng, text_random, allocator)
    post_data = _make_posts(posts, population.groups[GROUP_POSTER], rng, text_random, allocator)
    base = _generate_comments(
        comments,
        post_data,
        population,
        post_data.weights,
        post_data.times_ms + 60_000,
        BASE_CRAWL_MS,
        rng,
        text_random,
        allocator,
        earlier=None,
        label="generate comments",
    )
    duplicates = _recrawl_duplicates(base, comments // DUPLICATE_DIVISOR, rng)
    # The post's comment count as shown: at least what was crawled, often more.
    crawled_per_note = np.bincount(base.note_indices, minlength=posts)
    shown = (crawled_per_note * rng.uniform(1.0, 1.4, size=posts)).astype(np.int64)
    for row, count_text in zip(post_data.rows, _format_counts(shown, rng), strict=True):
        row["comment_count"] = count_text

    notes_path = out_dir / NOTES_FILE
    comments_path = out_dir / BASE_COMMENTS_FILE
    write_export(post_data.rows, notes_path, "notes")
    write_export(base.rows + duplicates, comments_path, "comments")

    increment_path = None
    if increment:
        increment_path = out_dir / INCREMENT_COMMENTS_FILE
        _write_increment(increment, seed, post_data, population, base, allocator, increment_path)

    return {
        "notes_path": notes_path,
        "comments_path": comments_path,
        "increment_path": increment_path,
        "posts": posts,
        "comments": comments,
        "duplicates": len(duplicates),
        "comment_rows": comments + len(duplicates),
        "increment": increment,
        "distinct_text_share": len(set(base.texts)) / comments if comments else 1.0,
        "seconds": time.perf_counter() - started,
    }


def _write_increment(
    count: int,
    seed: int,
    posts: _Posts,
    population: _Population,
    base: _Comments,
    allocator: _IdAllocator,
    path: Path,
) -> None:
    """New comments from the week after the base crawl, from the stream (seed, 1); many by returning users."""
    rng = np.random.default_rng([seed, 1])
    text_random = random.Random(int(rng.integers(2**63)))
    groups = {}
    for group, share in zip((GROUP_CHINESE, GROUP_FOREIGN, GROUP_UNKNOWN), COMMENT_GROUP_SHARES, strict=True):
        returning = population.groups[group]
        newcomers = _make_users(max(1, int(count * share * 0.3)), group, rng, text_random, allocator)
        groups[group] = _Users(
            *(
                getattr(returning, name)[: max(1, len(newcomers))] + getattr(newcomers, name)
                for name in ("user_ids", "nicknames", "avatars", "ip_locations")
            )
        )
    groups[GROUP_POSTER] = population.groups[GROUP_POSTER]
    # Busy posts stay busy; every post can still get a few.
    base_counts = np.bincount(base.note_indices, minlength=len(posts.note_ids)).astype(float)
    weights = base_counts + posts.weights
    window_start = np.maximum(posts.times_ms, BASE_CRAWL_MS) + 1_000
    new = _generate_comments(
        count,
        posts,
        _Population(groups),
        weights,
        window_start,
        INCREMENT_CRAWL_MS,
        rng,
        text_random,
        allocator,
        earlier=base,
        label="generate increment",
    )
    write_export(new.rows, path, "comments")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1862)
    parser.add_argument("--comments", type=int, default=403054)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="directory to write the CSV files into")
    parser.add_argument("--increment", type=int, default=0, help="also write N new comments a week later")
    arguments = parser.parse_args(argv)
    result = generate_crawl(
        arguments.posts, arguments.comments, arguments.seed, arguments.out, arguments.increment
    )
    print(
        f"generated {result['posts']} posts and {result['comment_rows']} comment rows "
        f"({result['comments']} comments + {result['duplicates']} re-crawl duplicates), "
        f"increment {result['increment']}, in {result['seconds']:.1f} s; "
        f"distinct texts {result['distinct_text_share']:.1%} -> {Path(arguments.out)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
