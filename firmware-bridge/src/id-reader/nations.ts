// GB 3304 nation codes as printed on the resident ID card (the card shows 汉, not 汉族).
// The one table of nations: the card parser, the encoder and the UI all read it from here.

export const NATIONS: Readonly<Record<string, string>> = {
  '01': '汉',
  '02': '蒙古',
  '03': '回',
  '04': '藏',
  '05': '维吾尔',
  '06': '苗',
  '07': '彝',
  '08': '壮',
  '09': '布依',
  '10': '朝鲜',
  '11': '满',
  '12': '侗',
  '13': '瑶',
  '14': '白',
  '15': '土家',
  '16': '哈尼',
  '17': '哈萨克',
  '18': '傣',
  '19': '黎',
  '20': '傈僳',
  '21': '佤',
  '22': '畲',
  '23': '高山',
  '24': '拉祜',
  '25': '水',
  '26': '东乡',
  '27': '纳西',
  '28': '景颇',
  '29': '柯尔克孜',
  '30': '土',
  '31': '达斡尔',
  '32': '仫佬',
  '33': '羌',
  '34': '布朗',
  '35': '撒拉',
  '36': '毛南',
  '37': '仡佬',
  '38': '锡伯',
  '39': '阿昌',
  '40': '普米',
  '41': '塔吉克',
  '42': '怒',
  '43': '乌孜别克',
  '44': '俄罗斯',
  '45': '鄂温克',
  '46': '德昂',
  '47': '保安',
  '48': '裕固',
  '49': '京',
  '50': '塔塔尔',
  '51': '独龙',
  '52': '鄂伦春',
  '53': '赫哲',
  '54': '门巴',
  '55': '珞巴',
  '56': '基诺',
  '97': '其他',
  '98': '外国血统中国籍人士',
};

/** The nation name for a two-digit code, or undefined when the code is not in GB 3304. */
export function nationName(code: string): string | undefined {
  return Object.hasOwn(NATIONS, code) ? NATIONS[code] : undefined;
}

/** The two-digit code for a nation name (with or without the 族 suffix), or undefined. */
export function nationCode(name: string): string | undefined {
  const bare = name.endsWith('族') && name !== '族' ? name.slice(0, -1) : name;
  for (const [code, n] of Object.entries(NATIONS)) {
    if (n === name || n === bare) return code;
  }
  return undefined;
}
